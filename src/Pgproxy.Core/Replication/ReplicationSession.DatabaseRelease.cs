using Pgproxy.Core.Routing;

namespace Pgproxy.Core.Replication;

internal sealed partial class ReplicationSession
{
    /// <summary>
    /// Closes pgproxy's idle cached connections, on every node, to the databases a DROP/ALTER … RENAME/CREATE
    /// DATABASE needs free (see <see cref="DatabaseStatementTargets"/>), so the statement does not fail with 55006
    /// because of connections the client never opened.
    /// </summary>
    public Task ReleaseDatabasesAsync(ReadOnlySpan<byte> query) =>
        _runtime.Pool.CloseIdleToAsync(DatabaseStatementTargets.Find(query));
}

using System.Buffers;
using Pgproxy.Core.Admin;
using Pgproxy.Core.Auth;
using Pgproxy.Core.Transport;

namespace Pgproxy.Core.Replication;

/// <summary>
/// The client session a replication session serves, as the replication session needs it: who the client is, why it
/// is being ended, and the admin commands (SHOW POOL_*, ATTACH NODE…) that the client session answers itself.
/// </summary>
internal interface IReplicationClient
{
    string Database { get; }

    string User { get; }

    /// <summary>What pgproxy logs in to the nodes with for this client (probing a node that ended a backend).</summary>
    BackendCredential BackendCredential { get; }

    /// <summary>Why the session is being ended from outside (shutdown, client_idle_limit…), or None.</summary>
    SessionEndReason EndReason { get; }

    /// <summary>The client sent something: for client_idle_limit.</summary>
    void MarkClientActivity();

    /// <summary>Works out the answer of an admin command that must read the nodes first (a checked ATTACH).</summary>
    Task PrepareAdminAsync(ReadOnlyMemory<byte> query);

    /// <summary>Rewrites an admin command in a Query or Parse into the query that answers it; false if it is none.</summary>
    bool RewriteAdminCommand(ReadOnlySpan<byte> frame, byte type, IBufferWriter<byte> output, out AdminError? error);
}

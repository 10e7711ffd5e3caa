using Pgproxy.Core.Backends;

namespace Pgproxy.Core.Consistency;

/// <summary>A node's side of a common cut over a connection of pgproxy's own (see <see cref="CommonCut"/>).</summary>
internal sealed class BackendSnapshot(BackendConnection connection) : ISnapshotQuery, IAsyncDisposable
{
    /// <summary>
    /// Output settings alike on every node, whatever each node's postgresql.conf says, so that a row's text (what
    /// is hashed) is the same wherever its values are; and no search_path, so no user object can stand in for a
    /// catalog one.
    /// </summary>
    public const string Settings =
        "SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'; SET IntervalStyle = 'postgres'; " +
        "SET extra_float_digits = 1; SET bytea_output = 'hex'; SET search_path = ''; " +
        "SET statement_timeout = 0; SET lock_timeout = 0; SET idle_in_transaction_session_timeout = 0";

    /// <summary>Starts the transaction and takes its snapshot (the first statement in it takes it).</summary>
    public const string Begin =
        "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SELECT pg_catalog.txid_current_snapshot()::text";

    public int NodeId => connection.NodeId;

    public BackendConnection Connection => connection;

    public async Task<IReadOnlyList<string?[]>> QueryAsync(string sql, CancellationToken cancellationToken) =>
        await BackendQuery.RunAsync(connection, sql, cancellationToken);

    public async ValueTask DisposeAsync() => await connection.TerminateAsync();
}

using System.Globalization;
using Npgsql;

namespace Pgproxy.Core.Recovery;

/// <summary>
/// What the recovery waits for on main while the application runs there, and how it waits without making the
/// application wait. A table lock request that waits makes every later request on that table wait behind it, reads
/// included: the ACCESS EXCLUSIVE lock of an ALTER TABLE … REPLICA IDENTITY, waiting behind one transaction left
/// open on the table (a report, a session idle in transaction), would stop all of the application's work on the
/// table for as long as that transaction stayed open. So such a request waits at most <see cref="LockTimeout"/>,
/// lets go and is tried again after a <see cref="Pause"/>, and the recovery says whom it waits for.
/// </summary>
internal static class MainWaits
{
    /// <summary>
    /// The longest the application waits behind one request; below deadlock_timeout's default (1 s), so that in a
    /// deadlock with a client's transaction it is the recovery that gives up, never the client's transaction.
    /// </summary>
    public const string LockTimeout = "100ms";

    /// <summary>
    /// Who, what state, since when and what it runs: sessions, and prepared transactions (they hold locks and
    /// transaction ids with no session, a client's PREPARE TRANSACTION left undecided, say).
    /// </summary>
    private const string Holders =
        "SELECT who, state, coalesce(extract(epoch FROM now() - since)::bigint, 0), what FROM (" +
        "SELECT 'pid ' || a.pid AS who, coalesce(a.state, '') AS state, " +
        "coalesce(a.xact_start, a.query_start) AS since, " +
        "coalesce(pg_catalog.left(pg_catalog.regexp_replace(a.query, '\\s+', ' ', 'g'), 60), '') AS what, " +
        "a.backend_xid IS NOT NULL AS has_xid, a.pid AS pid, NULL AS vxid, a.backend_type AS kind " +
        "FROM pg_catalog.pg_stat_activity a WHERE a.pid <> pg_catalog.pg_backend_pid() UNION ALL " +
        "SELECT 'prepared transaction ' || pg_catalog.quote_literal(p.gid), 'prepared', p.prepared, '', true, NULL, " +
        "(SELECT l.virtualtransaction FROM pg_catalog.pg_locks l WHERE l.locktype = 'transactionid' " +
        "AND l.transactionid = p.transaction AND l.pid IS NULL LIMIT 1), 'prepared' " +
        "FROM pg_catalog.pg_prepared_xacts p) h ";

    /// <summary>How long the recovery waits for any one such thing before it fails, naming it.</summary>
    public static readonly TimeSpan Limit = TimeSpan.FromMinutes(5);

    /// <summary>The pause before the next try: short at first, at most two seconds.</summary>
    public static TimeSpan Pause(int attempt) =>
        TimeSpan.FromMilliseconds(Math.Min(2_000, 100 << Math.Min(attempt, 5)));

    /// <summary>
    /// The session or prepared transaction holding a lock on <paramref name="table"/> the longest, as "pid 4711
    /// (idle in transaction for 42 s: UPDATE …)" or "prepared transaction 'x' (prepared for 42 s)", or "another
    /// session" when it has let go meanwhile.
    /// </summary>
    public static Task<string> LockHolderAsync(NpgsqlConnection connection, string table, CancellationToken ct) =>
        DescribeAsync(connection, Holders +
            "WHERE h.pid IN (SELECT l.pid FROM pg_catalog.pg_locks l WHERE l.relation = pg_catalog.to_regclass($1) " +
            "AND l.granted) OR h.vxid IN (SELECT l.virtualtransaction FROM pg_catalog.pg_locks l " +
            "WHERE l.relation = pg_catalog.to_regclass($1) AND l.granted AND l.pid IS NULL) " +
            "ORDER BY 3 DESC LIMIT 1", ct, table);

    /// <summary>
    /// The oldest transaction on main that has a transaction id: creating a logical replication slot waits for
    /// every such transaction running when it began.
    /// </summary>
    public static Task<string> OldestTransactionAsync(NpgsqlConnection connection, CancellationToken ct) =>
        DescribeAsync(connection, Holders +
            "WHERE h.has_xid AND h.kind IN ('client backend', 'prepared') ORDER BY 3 DESC LIMIT 1", ct);

    private static async Task<string> DescribeAsync(NpgsqlConnection connection, string sql, CancellationToken ct,
        params object[] parameters)
    {
        var rows = await RecoveryConnector.RowsAsync(connection, sql, ct, parameters);
        if (rows.Count == 0)
        {
            return "another session";
        }

        var row = rows[0];
        var seconds = long.Parse(row[2]!, CultureInfo.InvariantCulture);
        return row[3] is "" ? $"{row[0]} ({row[1]} for {seconds} s)"
            : $"{row[0]} ({row[1]} for {seconds} s: {row[3]})";
    }
}

using Npgsql;

namespace Pgproxy.Core.Recovery;

/// <summary>
/// Unlogged tables write no WAL, so logical replication neither copies nor follows them: their rows are copied
/// from main during the cutover, with the write gate closed, when nothing commits on main. They are usually
/// small scratch tables; what they hold lengthens the cutover's pause.
/// </summary>
internal static class UnloggedTables
{
    /// <summary>Main's unlogged tables that hold rows (partitioned parents hold none), as quoted names.</summary>
    public static async Task<IReadOnlyList<string>> ListAsync(NpgsqlConnection main, CancellationToken ct)
    {
        var rows = await RecoveryConnector.RowsAsync(main,
            "SELECT format('%I.%I', n.nspname, c.relname) FROM pg_catalog.pg_class c " +
            "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace " +
            "WHERE c.relpersistence = 'u' AND c.relkind = 'r' ORDER BY 1", ct);
        return [.. rows.Select(r => r[0]!)];
    }

    /// <summary>Replaces each table's rows on the node with main's, streamed in COPY's binary format.</summary>
    public static async Task CopyAsync(NpgsqlConnection main, NpgsqlConnection node, IReadOnlyList<string> tables,
        CancellationToken ct)
    {
        foreach (var table in tables)
        {
            await RecoveryConnector.ExecuteAsync(node, $"TRUNCATE {table}", ct);
            await using var source = await main.BeginRawBinaryCopyAsync($"COPY {table} TO STDOUT (FORMAT binary)", ct);
            await using var target = await node.BeginRawBinaryCopyAsync($"COPY {table} FROM STDIN (FORMAT binary)", ct);
            await source.CopyToAsync(target, ct);
        }
    }
}

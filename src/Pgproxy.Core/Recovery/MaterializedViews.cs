using Npgsql;

namespace Pgproxy.Core.Recovery;

/// <summary>
/// <c>pg_dump --schema-only</c> creates materialized views WITH NO DATA (their REFRESH belongs to the data
/// section), and logical replication does not carry them: left so, a read load-balanced to the recovered node
/// fails with "has not been populated". Each view populated on main is refreshed on the node once its tables
/// hold main's rows. Its rows are then those of a refresh now; main's are those of its last REFRESH, so the
/// two agree again at the next REFRESH, which pgproxy sends to every node.
/// </summary>
internal static class MaterializedViews
{
    public static async Task<int> RefreshAsync(NpgsqlConnection main, NpgsqlConnection node, CancellationToken ct)
    {
        // In creation order, so that a view built on another is refreshed after it.
        var rows = await RecoveryConnector.RowsAsync(main,
            "SELECT format('%I.%I', n.nspname, c.relname) FROM pg_catalog.pg_class c " +
            "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace " +
            "WHERE c.relkind = 'm' AND c.relispopulated ORDER BY c.oid", ct);
        foreach (var row in rows)
        {
            await RecoveryConnector.ExecuteAsync(node, $"REFRESH MATERIALIZED VIEW {row[0]}", ct);
        }

        return rows.Count;
    }
}

using Npgsql;
using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Replication;

/// <summary>
/// REINDEX and CLUSTER of a partitioned table, which PostgreSQL refuses in a transaction block (issue 16 item
/// 12): through a two-node pgproxy they must not be wrapped in its internal transaction, in either protocol.
/// </summary>
[Collection(ReplicationSuite.Name)]
public sealed class PartitionedMaintenanceTests(TwoNodes cluster) : ReplicationTestBase(cluster)
{
    [PostgresFact]
    public async Task Reindex_and_cluster_of_a_partitioned_table_run_on_every_node()
    {
        var table = NodeSql.UniqueTable("pm_parted");
        await ExecuteOnProxyAsync($"""
            CREATE TABLE {table} (a int) PARTITION BY RANGE (a);
            CREATE TABLE {table}_1 PARTITION OF {table} FOR VALUES FROM (0) TO (100);
            CREATE INDEX {table}_i ON {table} (a);
            INSERT INTO {table} VALUES (5), (1), (3)
            """);

        string[] statements =
            [$"REINDEX TABLE {table}", $"REINDEX INDEX {table}_i", $"CLUSTER {table} USING {table}_i"];
        foreach (var sql in statements)
        {
            // Simple protocol (psql) and extended (Npgsql).
            var psql = await PgTools.PsqlAsync(Proxy.Port, "-v", "ON_ERROR_STOP=1", "-c", sql);
            Assert.True(psql.Succeeded, sql + ": " + psql.StdErr);
            await using var conn = await OpenAsync();
            await using var cmd = new NpgsqlCommand(sql, conn);
            await cmd.ExecuteNonQueryAsync();
        }

        Assert.Equal(3, await AssertNodesIdenticalAsync(table, "a"));
        foreach (var node in Nodes)
        {
            Assert.True(await NodeSql.ScalarAsync<bool>(node,
                $"SELECT bool_and(indisvalid) FROM pg_index WHERE indrelid = '{table}_1'::regclass"));
        }
    }
}

using Npgsql;
using Pgproxy.Core.Consistency;
using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Catalog;

/// <summary>A consistency check's outcome lands in the system DB's consistency_results, a row per table and node.</summary>
[Collection(CatalogSuite.Name)]
public sealed class CheckRecordTests(TwoNodesWithSystemDb cluster)
{
    [PostgresFact]
    public async Task Every_table_and_node_of_a_check_is_written_with_its_verdict()
    {
        var db = new SystemDbSql(cluster.SystemDb!, SystemDbSql.UniqueSchema());
        var table = NodeSql.UniqueTable("recorded");
        await using var proxy = ProxyHost.Start(cluster, o => o with { SystemDbSchema = db.Schema });
        await using (var conn = await proxy.OpenAsync())
        {
            await using var create = new NpgsqlCommand(
                $"CREATE TABLE {table} (id int PRIMARY KEY, v int); INSERT INTO {table} SELECT g, g FROM generate_series(1, 3) g",
                conn);
            await create.ExecuteNonQueryAsync();
        }

        await NodeSql.ExecuteAsync(cluster.Nodes[1], $"UPDATE {table} SET v = 0 WHERE id = 2");
        try
        {
            var run = await proxy.Runtime.Checks!.RunAsync(new CheckRequest(null, [table], ["postgres"], "test"),
                CancellationToken.None);

            Assert.Equal(CheckState.Differs, run!.State);
            var rows = await db.ScalarAsync<string>(
                $"SELECT string_agg(node_id || ':' || row_count || ':' || matches_main || ':' || verdict || ':' || " +
                $"array_to_string(keys, ','), ' ' ORDER BY node_id) FROM \"{db.Schema}\".consistency_results " +
                $"WHERE run_id = {run.Id} AND table_name = 'public.{table}'");
            Assert.Equal("0:3:true:same: 1:3:false:differs:id=2 differs", rows);
        }
        finally
        {
            await using var conn = await proxy.OpenAsync();
            await using var drop = new NpgsqlCommand($"DROP TABLE {table}", conn);
            await drop.ExecuteNonQueryAsync();
        }
    }
}

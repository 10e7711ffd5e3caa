using Pgproxy.Core.Config;
using Pgproxy.IntegrationTests.Admin;
using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Consistency;

/// <summary>consistency_check_period runs checks by itself; consistency_check_failover takes out a node that differs.</summary>
[Collection(CheckSuite.Name)]
public sealed class PeriodicCheckTests(TwoNodes cluster) : AdminTestBase(cluster)
{
    protected override ProxyOptions Configure(ProxyOptions options) =>
        base.Configure(options) with { ConsistencyCheckPeriod = 1, ConsistencyCheckFailover = true };

    [PostgresFact]
    public async Task A_node_changed_behind_pgproxys_back_is_found_by_the_periodic_check_and_taken_out()
    {
        var table = NodeSql.UniqueTable("check_period");
        await ExecuteAsync($"CREATE TABLE {table} (id int PRIMARY KEY, v int)");
        await ExecuteAsync($"INSERT INTO {table} VALUES (1, 1)");
        try
        {
            // One connection, opened before node 1 differs and kept: a pooled connection taken again would send
            // Npgsql's DISCARD ALL to both nodes ahead of the SHOW, and a statement running on node 1 when the check
            // takes it out fails with 40001 (which a full run under load once hit).
            await using var admin = await OpenAsync();
            await NodeSql.ExecuteAsync(Nodes[1], $"UPDATE {table} SET v = 2"); // a job run against node 1 directly

            // SHOW POOL_NODES reads on the load-balance node: when that is node 1 and the check takes it out under
            // the read, the read fails with 40001 (retryable, as for any statement on a node lost under it; a
            // loaded full run met it twice), and the poll asks again.
            await Poll.UntilAsync(async () =>
                {
                    try
                    {
                        return (await StatusesAsync(admin))[1] == "down";
                    }
                    catch (global::Npgsql.PostgresException e) when (e.SqlState == "40001")
                    {
                        return false;
                    }
                }, TimeSpan.FromSeconds(30), "the periodic check to take node 1 out");

            Assert.Contains("consistency check", Proxy.Runtime.Nodes.Find(1)!.LastStatusReason, StringComparison.Ordinal);
            Assert.Equal("up", (await StatusesAsync(admin))[0]);
            var finding = Assert.Single((await ShowAsync("POOL_CHECK", admin)).Rows,
                r => r["table"] == $"public.{table}" && r["node_id"] == "1");
            Assert.Equal("differs", finding["verdict"]);
            Assert.Contains("id=1 differs", finding["detail"], StringComparison.Ordinal);
        }
        finally
        {
            foreach (var node in Nodes)
            {
                await NodeSql.ExecuteAsync(node, $"DROP TABLE IF EXISTS {table}");
            }
        }
    }

    private async Task<Dictionary<int, string>> StatusesAsync(global::Npgsql.NpgsqlConnection admin) =>
        (await ShowAsync("POOL_NODES", admin)).Rows.ToDictionary(
            r => int.Parse(r["node_id"], System.Globalization.CultureInfo.InvariantCulture), r => r["status"]);
}

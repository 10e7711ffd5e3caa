using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Replication;

/// <summary>pgbench's own schema and TPC-B transactions through pgproxy leave both nodes identical.</summary>
[Collection(ReplicationSuite.Name)]
public sealed class PgbenchReplicationTests(TwoNodes cluster) : ReplicationTestBase(cluster)
{
    [PostgresTheory]
    [InlineData("simple")]
    [InlineData("extended")]
    [InlineData("prepared")]
    public async Task Tpcb_with_16_clients_leaves_identical_nodes(string mode)
    {
        var init = await PgTools.PgbenchAsync(Proxy.Port, "-i", "-q", "-s", "1");
        Assert.True(init.ExitCode == 0, init.StdOut + init.StdErr);
        foreach (var table in new[] { "pgbench_accounts", "pgbench_branches", "pgbench_tellers" })
        {
            await AssertNodesIdenticalAsync(table, table == "pgbench_accounts" ? "aid" : table == "pgbench_branches" ? "bid" : "tid");
        }

        var run = await PgTools.PgbenchAsync(Proxy.Port, "-M", mode, "-c", "16", "-j", "2", "-t", "30");
        Assert.True(run.ExitCode == 0, run.StdOut + run.StdErr);
        Assert.Contains("number of failed transactions: 0", run.StdOut, StringComparison.Ordinal);
        Assert.Equal(480, await AssertNodesIdenticalAsync("pgbench_history", "tid, bid, aid, delta, mtime"));
        await AssertNodesIdenticalAsync("pgbench_accounts", "aid");
        await AssertNodesIdenticalAsync("pgbench_tellers", "tid");
        await AssertNodesIdenticalAsync("pgbench_branches", "bid");
    }
}

using Pgproxy.Core.Recovery;
using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Postgres;
using Xunit.Abstractions;

namespace Pgproxy.IntegrationTests.Recovery;

/// <summary>
/// The fixture's nodes commit asynchronously (synchronous_commit = off), so the last commits before a cutover may
/// still sit in main's WAL buffers when the gate closes, and WAL senders send only flushed WAL. The cutover meant
/// to flush them with a commit of its own, but a transaction that only takes an xid writes no WAL before its commit
/// record and PostgreSQL commits it asynchronously whatever synchronous_commit says; and it waited for main's write
/// position, which can be short of those commits: once in about a hundred cutovers under load the node lacked the
/// last rows committed before the gate closed. Here main's WAL writer waits 10 s: the cutover must flush main's WAL
/// itself (before, every attempt timed out waiting for the node), and every row reaches the node.
/// </summary>
[Collection(RecoverySuite.Name)]
public sealed class RecoveryUnflushedCommitTests(TwoNodes cluster, ITestOutputHelper output) : RecoveryTestBase(cluster)
{
    [PostgresFact]
    public async Task Commits_still_in_main_s_WAL_buffers_at_the_cutover_reach_the_recovered_node()
    {
        await using var proxy = ProxyHost.Start(Cluster, discardStatus: true);
        await ExecuteThroughAsync(proxy,
            "DROP TABLE IF EXISTS unflushed_rows; CREATE TABLE unflushed_rows (id int PRIMARY KEY)");

        var node1 = proxy.Runtime.Nodes.Find(1)!;
        proxy.Runtime.Nodes.Degenerate(node1, "test");
        await SetWalWriterDelayAsync("'10s'");
        try
        {
            using var stop = new CancellationTokenSource();
            var writer = Task.Run(() => AutocommitWriter.RunUntilAsync(proxy,
                n => $"INSERT INTO unflushed_rows VALUES ({n})", stop.Token));
            await Task.Delay(TimeSpan.FromMilliseconds(500));
            var outcome = await RecoverAsync(proxy, new RecoveryProgress(), wipe: true);
            await stop.CancelAsync();
            var inserted = await writer;
            output.WriteLine($"{inserted} rows; recovered in {outcome.Duration.TotalMilliseconds:0} ms, pause " +
                             $"{outcome.LongestCutoverPause.TotalMilliseconds:0} ms");

            Assert.True(outcome.Succeeded, outcome.Error + Logs());
            Assert.True(inserted > 0);
            foreach (var node in Cluster.Nodes)
            {
                Assert.Equal(inserted, await NodeSql.CountAsync(node, "unflushed_rows"));
            }

            await NodeCompare.AssertIdenticalAsync(Cluster.Nodes[0], Cluster.Nodes[1]);
        }
        finally
        {
            await SetWalWriterDelayAsync("DEFAULT");
        }
    }

    private async Task SetWalWriterDelayAsync(string value)
    {
        await NodeSql.ExecuteAsync(Cluster.Nodes[0], $"ALTER SYSTEM SET wal_writer_delay = {value}");
        await NodeSql.ExecuteAsync(Cluster.Nodes[0], "SELECT pg_reload_conf()");
    }

}

using Pgproxy.Core.Backends;
using Pgproxy.Core.Recovery;
using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Postgres;
using Xunit.Abstractions;

namespace Pgproxy.IntegrationTests.Recovery;

/// <summary>
/// Failure in the middle of a recovery (issue 15 item 8): main's publication dropped, or the node stopped, while
/// the data is being copied. The recovery fails saying what failed where, nothing of it is left on main, the node
/// stays down, and a second recovery brings it back.
/// </summary>
[Collection(RecoverySuite.Name)]
public sealed class RecoveryFailureTests(TwoNodes cluster, ITestOutputHelper output) : RecoveryTestBase(cluster)
{
    [PostgresFact]
    public async Task Mains_publication_dropped_during_the_copy_fails_cleanly_and_a_second_recovery_works()
    {
        await using var proxy = ProxyHost.Start(Cluster, discardStatus: true);
        var table = await DetachWithBigTableAsync(proxy);

        // Whether the copy is still running or just finished, the recovery looks for its publication before the
        // cutover (and a write after the drop is what the node would otherwise miss).
        var outcome = await RecoverInterruptedAsync(proxy, () => NodeSql.ExecuteAsync(Cluster.Nodes[0],
            $"DROP PUBLICATION pgproxy_recover_1; INSERT INTO {table}_nopk VALUES (101)"));

        Assert.False(outcome.Succeeded);
        Assert.Contains("pgproxy_recover_1", outcome.Error, StringComparison.Ordinal);
        await AssertCleanAndDownAsync(proxy, nodeAnswers: true);
        Assert.Equal("d", await NodeSql.ScalarAsync<string>(Cluster.Nodes[0],
            $"SELECT relreplident::text FROM pg_class WHERE oid = '{table}_nopk'::regclass"));
        await RecoverAgainAsync(proxy);
    }

    [PostgresFact]
    public async Task The_node_stopped_during_the_copy_fails_cleanly_and_a_second_recovery_works()
    {
        await using var proxy = ProxyHost.Start(Cluster, discardStatus: true);
        await DetachWithBigTableAsync(proxy);

        var outcome = await RecoverInterruptedAsync(proxy, () => Cluster.Nodes[1].StopAsync("fast"));

        Assert.False(outcome.Succeeded);
        Assert.Contains("backend node 1", outcome.Error, StringComparison.Ordinal);
        Assert.Contains("stopped answering", outcome.Error, StringComparison.Ordinal);
        await AssertCleanAndDownAsync(proxy, nodeAnswers: false);
        await Cluster.Nodes[1].StartAsync();
        await RecoverAgainAsync(proxy);
    }

    /// <summary>Node 1 out, and a table on node 0 big enough that copying it takes a moment.</summary>
    private async Task<string> DetachWithBigTableAsync(ProxyHost proxy)
    {
        proxy.Runtime.Nodes.Degenerate(proxy.Runtime.Nodes.Find(1)!, "test");
        var table = NodeSql.UniqueTable("big");
        await ExecuteThroughAsync(proxy,
            $"""
            CREATE TABLE {table} (id int PRIMARY KEY, pad text);
            INSERT INTO {table} SELECT i, repeat(md5(i::text), 8) FROM generate_series(1, 400000) i;
            CREATE TABLE {table}_nopk (a int);
            INSERT INTO {table}_nopk SELECT generate_series(1, 100);
            """);
        return table;
    }

    /// <summary>Runs a recovery and, once it is copying, does <paramref name="interrupt"/>.</summary>
    private async Task<RecoveryOutcome> RecoverInterruptedAsync(ProxyHost proxy, Func<Task> interrupt)
    {
        var progress = new RecoveryProgress();
        var run = new NodeRecovery(proxy.Runtime, RecordedLogs.CreateLogger("Pgproxy.Recovery"))
            .RunAsync(new RecoveryRequest(1, Wipe: true, "test"), progress, CancellationToken.None);
        await Poll.UntilAsync(() => Task.FromResult(progress.Phase == "copy" || run.IsCompleted),
            TimeSpan.FromSeconds(60), "the recovery to start copying");
        await Task.Delay(200);
        Assert.False(run.IsCompleted, "the recovery ended before it could be interrupted: " + progress.Phase);
        await interrupt();
        var outcome = await run.WaitAsync(TimeSpan.FromSeconds(120));
        output.WriteLine($"failed after {outcome.Duration.TotalMilliseconds:0} ms: {outcome.Error}");
        return outcome;
    }

    private async Task AssertCleanAndDownAsync(ProxyHost proxy, bool nodeAnswers)
    {
        Assert.Equal(BackendStatus.Down, proxy.Runtime.Nodes.Find(1)!.Status);
        Assert.Equal(0L, await NodeSql.ScalarAsync<long>(Cluster.Nodes[0],
            "SELECT (SELECT count(*) FROM pg_replication_slots) + " +
            "(SELECT count(*) FROM pg_publication WHERE pubname LIKE 'pgproxy_recover%')"));
        if (nodeAnswers)
        {
            Assert.Equal(0L, await NodeSql.ScalarAsync<long>(Cluster.Nodes[1],
                "SELECT count(*) FROM pg_subscription WHERE subname LIKE 'pgproxy_recover%'"));
        }
    }

    private async Task RecoverAgainAsync(ProxyHost proxy)
    {
        var outcome = await new NodeRecovery(proxy.Runtime, RecordedLogs.CreateLogger("Pgproxy.Recovery"))
            .RunAsync(new RecoveryRequest(1, Wipe: true, "test"), new RecoveryProgress(), CancellationToken.None);
        Assert.True(outcome.Succeeded, outcome.Error + "\n" + string.Join("\n", RecordedLogs.Logs.Select(l => l.Message)));
        Assert.NotEqual(BackendStatus.Down, proxy.Runtime.Nodes.Find(1)!.Status);
        await NodeCompare.AssertIdenticalAsync(Cluster.Nodes[0], Cluster.Nodes[1]);
        foreach (var node in Cluster.Nodes)
        {
            Assert.Equal(0L, await NodeSql.ScalarAsync<long>(node,
                "SELECT (SELECT count(*) FROM pg_subscription WHERE subname LIKE 'pgproxy_recover%') + " +
                "(SELECT count(*) FROM pg_replication_slots) + " +
                "(SELECT count(*) FROM pg_publication WHERE pubname LIKE 'pgproxy_recover%')"));
        }
    }
}

using Npgsql;
using Pgproxy.Core.Backends;
using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Health;

/// <summary>
/// Health checks against real nodes that are stopped with <c>pg_ctl stop -m immediate</c> (a crash) or hung with
/// SIGSTOP. No client session is open while a node fails, so the node can only have been taken out by the check.
/// </summary>
[Collection(HealthSuite.Name)]
public sealed class HealthCheckTests(HealthNodes cluster) : HealthCheckTestBase(cluster)
{
    private static readonly string[] PgpoolColumns =
    [
        "node_id", "hostname", "port", "status", "role", "last_status_change", "total_count", "success_count",
        "fail_count", "skip_count", "retry_count", "average_retry_count", "max_retry_count", "max_duration",
        "min_duration", "average_duration", "last_health_check", "last_successful_health_check",
        "last_skip_health_check", "last_failed_health_check",
    ];

    [PostgresFact]
    public async Task Checks_MarkWaitingNodesUp_WithoutAnyClient()
    {
        var proxy = StartProxy();

        await Poll.UntilAsync(() => Node(proxy, 0).Status == BackendStatus.Up
                                    && Node(proxy, 1).Status == BackendStatus.Up, Patience, "both nodes up");

        Assert.Equal(0, proxy.Server.SessionCount);
        Assert.True(Stats(proxy, 0).SuccessCount >= 1);
        Assert.True(Stats(proxy, 1).SuccessCount >= 1);
    }

    [PostgresFact]
    public async Task StoppedNode_IsDegenerated_ClientsCarryOn_StatsAndFailoverCommandTellIt()
    {
        var hook = Path.Combine(Folder, "failover.out");
        var proxy = StartProxy(o => o with
        {
            FailoverCommand = $"echo %d %h %p %D %m %H %M %P %r %R %N %S %% > {hook}",
        });
        var table = NodeSql.UniqueTable("hc");
        await using (var conn = await proxy.OpenAsync())
        await using (var cmd = new NpgsqlCommand($"CREATE TABLE {table} (id int); INSERT INTO {table} VALUES (1)",
                         conn))
        {
            await cmd.ExecuteNonQueryAsync();
        }

        await Nodes[1].StopAsync("immediate");
        await WaitUntilDegeneratedByHealthCheckAsync(proxy, 1);

        // Clients carry on with node 0 alone.
        await using (var conn = await proxy.OpenAsync())
        await using (var cmd = new NpgsqlCommand($"INSERT INTO {table} VALUES (2)", conn))
        {
            Assert.Equal(1, await cmd.ExecuteNonQueryAsync());
        }

        Assert.Equal(2L, await NodeSql.CountAsync(Nodes[0], table));

        var nodes = await ShowAsync(proxy, "SHOW POOL_NODES");
        Assert.Equal(["up", "down"], nodes.Select(r => r["status"]));

        var stats = await ShowAsync(proxy, "SHOW POOL_HEALTH_CHECK_STATS");
        Assert.Equal(PgpoolColumns, stats[0].Keys);
        var failed = stats[1];
        Assert.Equal(("1", "down", "replica"), (failed["node_id"], failed["status"], failed["role"]));
        Assert.True(long.Parse(failed["fail_count"]) >= 1, $"fail_count {failed["fail_count"]}");
        Assert.True(long.Parse(failed["retry_count"]) >= 1, $"retry_count {failed["retry_count"]}");
        Assert.Equal("1", failed["max_retry_count"]);
        Assert.NotEqual("", failed["last_failed_health_check"]);
        var healthy = stats[0];
        Assert.Equal(("up", "main", "0"), (healthy["status"], healthy["role"], healthy["fail_count"]));
        Assert.True(long.Parse(healthy["success_count"]) >= 1);
        Assert.NotEqual("", healthy["last_successful_health_check"]);

        // A down node is not checked any more; its rounds are counted as skipped.
        await Poll.UntilAsync(() => Stats(proxy, 1).SkipCount >= 1, Patience, "a skipped round on node 1");
        var failCount = Stats(proxy, 1).FailCount;
        await Poll.UntilAsync(() => Stats(proxy, 1).SkipCount >= 3, Patience, "more skipped rounds on node 1");
        Assert.Equal(failCount, Stats(proxy, 1).FailCount);

        Assert.Equal(
            $"1 127.0.0.1 {Nodes[1].Port} {Nodes[1].DataDirectory} 0 127.0.0.1 0 0 {Nodes[0].Port} " +
            $"{Nodes[0].DataDirectory} 127.0.0.1 {Nodes[0].Port} %",
            await ReadHookOutputAsync(hook));
    }

    [PostgresFact]
    public async Task StoppedMain_FailoverCommandNamesTheNewMain_FailbackRunsOnAttach()
    {
        var failoverHook = Path.Combine(Folder, "failover.out");
        var failbackHook = Path.Combine(Folder, "failback.out");
        var proxy = StartProxy(o => o with
        {
            FailoverCommand = $"echo %d %p %m %r %R %M %P %S > {failoverHook}",
            FailbackCommand = $"echo %d %p %D %m %M > {failbackHook}",
        });
        var table = NodeSql.UniqueTable("hcmain");
        await NodeSql.ExecuteAsync(Nodes[0], $"CREATE TABLE {table} (id int)");
        await NodeSql.ExecuteAsync(Nodes[1], $"CREATE TABLE {table} (id int)");

        await Nodes[0].StopAsync("immediate");
        await WaitUntilDegeneratedByHealthCheckAsync(proxy, 0);

        Assert.Equal(
            $"0 {Nodes[0].Port} 1 {Nodes[1].Port} {Nodes[1].DataDirectory} 0 0 {Nodes[0].Port}",
            await ReadHookOutputAsync(failoverHook));
        await using (var conn = await proxy.OpenAsync())
        await using (var cmd = new NpgsqlCommand($"INSERT INTO {table} VALUES (1)", conn))
        {
            Assert.Equal(1, await cmd.ExecuteNonQueryAsync()); // node 1 is main now
        }

        Assert.Equal(1L, await NodeSql.CountAsync(Nodes[1], table));

        await Nodes[0].StartAsync();
        Assert.True(proxy.Server.Runtime.Nodes.Attach(Node(proxy, 0), "attached by the test"));

        Assert.Equal($"0 {Nodes[0].Port} {Nodes[0].DataDirectory} 0 1", await ReadHookOutputAsync(failbackHook));
        await Poll.UntilAsync(() => Node(proxy, 0).Status == BackendStatus.Up, Patience,
            "the attached node to be marked up by a check");
    }

    [PostgresFact]
    public async Task DisallowToFailover_FailedChecksAreOnlyCounted()
    {
        var hook = Path.Combine(Folder, "failover.out");
        var proxy = StartProxy(o => o with
        {
            Backends = [o.Backends[0], o.Backends[1] with { Flag = "DISALLOW_TO_FAILOVER" }],
            FailoverCommand = $"echo %d > {hook}",
        });
        await Poll.UntilAsync(() => Node(proxy, 1).Status == BackendStatus.Up, Patience, "node 1 up");

        await Nodes[1].StopAsync("immediate");
        await Poll.UntilAsync(() => Stats(proxy, 1).FailCount >= 2, Patience, "two failed rounds on node 1");

        Assert.Equal(BackendStatus.Up, Node(proxy, 1).Status);
        Assert.False(File.Exists(hook));

        // Back again: checks succeed again on the node that never left.
        var successes = Stats(proxy, 1).SuccessCount;
        await Nodes[1].StartAsync();
        await Poll.UntilAsync(() => Stats(proxy, 1).SuccessCount > successes, Patience, "a successful round again");
        Assert.Equal(BackendStatus.Up, Node(proxy, 1).Status);
    }

    [PostgresFact]
    public async Task HungNode_IsDegeneratedAfterHealthCheckTimeout()
    {
        var proxy = StartProxy(o => o with { HealthCheckMaxRetries = 0 });
        await Poll.UntilAsync(() => Node(proxy, 1).Status == BackendStatus.Up, Patience, "node 1 up");
        var postmaster = int.Parse(File.ReadLines(Path.Combine(Nodes[1].DataDirectory, "postmaster.pid")).First());

        // A stopped postmaster still lets the kernel accept connections, but never answers the startup.
        (await ProcessRunner.RunAsync("kill", ["-STOP", Invariant(postmaster)])).EnsureSuccess();
        try
        {
            await WaitUntilDegeneratedByHealthCheckAsync(proxy, 1);
        }
        finally
        {
            (await ProcessRunner.RunAsync("kill", ["-CONT", Invariant(postmaster)])).EnsureSuccess();
        }

        Assert.Contains("no answer", Node(proxy, 1).LastStatusReason, StringComparison.Ordinal);
        // The round lasted health_check_timeout (whole milliseconds, and a timer may fire a hair early).
        Assert.True(Stats(proxy, 1).MaxDurationMs >= 1900, $"max_duration {Stats(proxy, 1).MaxDurationMs}");
    }

    [PostgresFact]
    public async Task PeriodZero_RunsNoChecks_UntilAReloadTurnsThemOn()
    {
        var proxy = StartProxy(o => o with { HealthCheckPeriod = 0 });

        // With a period of 1 s this is time for two rounds; there must be none.
        await Task.Delay(TimeSpan.FromSeconds(2.5));
        Assert.Equal(0, Stats(proxy, 0).TotalCount + Stats(proxy, 1).TotalCount);
        Assert.Equal(BackendStatus.Waiting, Node(proxy, 0).Status);
        var stats = await ShowAsync(proxy, "SHOW POOL_HEALTH_CHECK_STATS");
        Assert.All(stats, row => Assert.Equal(("0", "", "0.000000"),
            (row["total_count"], row["last_health_check"], row["average_duration"])));

        proxy.Server.Reload(proxy.Server.Options with { HealthCheckPeriod = 1 });

        await Poll.UntilAsync(() => Stats(proxy, 0).SuccessCount >= 1 && Stats(proxy, 1).SuccessCount >= 1,
            Patience, "checks after the reload");
    }
}

using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using Pgproxy.Core.Config;
using Pgproxy.Core.Failover;
using Pgproxy.Core.Hosting;
using Pgproxy.TestUtilities.Logging;

namespace Pgproxy.Core.Tests.Failover;

/// <summary>The runner with real <c>/bin/sh</c> commands that append to a file.</summary>
public sealed class FailoverCommandRunnerTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("pgproxy-failover-").FullName;

    private string Log => Path.Combine(_dir, "hooks.log");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private ProxyRuntime Runtime(string failover, string failback) => new(
        new ProxyOptions
        {
            Backends =
            [
                new BackendConfig { NodeId = 0, Hostname = "h0", Port = 6000, DataDirectory = "/d0" },
                new BackendConfig { NodeId = 1, Hostname = "h1", Port = 6001, DataDirectory = "/d1" },
                new BackendConfig { NodeId = 2, Hostname = "h2", Port = 6002, DataDirectory = "/d2" },
            ],
            FailoverCommand = failover,
            FailbackCommand = failback,
        },
        NullLoggerFactory.Instance,
        TimeProvider.System);

    private async Task<string[]> WaitForLinesAsync(int count)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var lines = File.Exists(Log) ? await File.ReadAllLinesAsync(Log) : [];
            if (lines.Length >= count || clock.Elapsed > TimeSpan.FromSeconds(30))
            {
                return lines;
            }

            await Task.Delay(20);
        }
    }

    [Fact]
    public async Task Changes_RunTheirHooksInOrder_WithPlaceholdersFilled()
    {
        var runtime = Runtime($"echo failover %d %h %p %D %m %H %r %R %M %P %N %S >> {Log}",
            $"echo failback %d %h %p %D %m %M >> {Log}");
        var runner = new FailoverCommandRunner(runtime, NullLogger.Instance);
        runner.Start();
        var nodes = runtime.Nodes;

        Assert.True(nodes.Degenerate(nodes.Nodes[0], "test"));  // main fails: node 1 takes over
        Assert.True(nodes.Degenerate(nodes.Nodes[2], "test"));  // a replica fails
        Assert.True(nodes.Attach(nodes.Nodes[0], "test"));      // node 0 back: main again
        var lines = await WaitForLinesAsync(3);
        await runner.DisposeAsync();

        Assert.Equal(
        [
            "failover 0 h0 6000 /d0 1 h1 6001 /d1 0 0 h0 6000",
            "failover 2 h2 6002 /d2 1 h1 6001 /d1 1 1 h1 6001",
            "failback 0 h0 6000 /d0 0 1",
        ], lines);
    }

    [Fact]
    public async Task EmptyCommands_RunNothing_AndDisposeReturns()
    {
        var runtime = Runtime("", "");
        var runner = new FailoverCommandRunner(runtime, NullLogger.Instance);
        runner.Start();

        runtime.Nodes.Degenerate(runtime.Nodes.Nodes[1], "test");
        await runner.DisposeAsync();

        Assert.False(File.Exists(Log));
    }

    [Fact]
    public async Task SlowCommand_IsKilled_AndTheNextOneStillRuns()
    {
        var runtime = Runtime($"if [ %d = 1 ]; then sleep 30; fi; echo failover %d >> {Log}", "");
        var runner = new FailoverCommandRunner(runtime, NullLogger.Instance)
        {
            CommandTimeout = TimeSpan.FromMilliseconds(500),
        };
        runner.Start();

        runtime.Nodes.Degenerate(runtime.Nodes.Nodes[1], "test");
        runtime.Nodes.Degenerate(runtime.Nodes.Nodes[2], "test");
        var lines = await WaitForLinesAsync(1);
        await runner.DisposeAsync();

        Assert.Equal(["failover 2"], lines);
    }

    [Fact]
    public async Task Dispose_WaitsForQueuedHooks()
    {
        var runtime = Runtime($"sleep 0.2; echo failover %d >> {Log}", "");
        var runner = new FailoverCommandRunner(runtime, NullLogger.Instance);
        runner.Start();

        runtime.Nodes.Degenerate(runtime.Nodes.Nodes[1], "test");
        runtime.Nodes.Degenerate(runtime.Nodes.Nodes[2], "test");
        await runner.DisposeAsync();

        Assert.Equal(["failover 1", "failover 2"], await File.ReadAllLinesAsync(Log));
    }

    [Fact]
    public async Task StopWithoutDrain_KillsTheRunningHook_AndDropsTheQueue()
    {
        var runtime = Runtime($"echo started %d >> {Log}; sleep 30; echo finished %d >> {Log}", "");
        var runner = new FailoverCommandRunner(runtime, NullLogger.Instance);
        runner.Start();

        runtime.Nodes.Degenerate(runtime.Nodes.Nodes[1], "test");
        runtime.Nodes.Degenerate(runtime.Nodes.Nodes[2], "test");
        Assert.Equal(["started 1"], await WaitForLinesAsync(1));
        await runner.StopAsync(drain: false);
        await Task.Delay(200);

        Assert.Equal(["started 1"], await File.ReadAllLinesAsync(Log));
    }

    [Fact]
    public async Task TheLog_ShowsTheCommandAndItsOutput_WithCredentialsMasked()
    {
        using var logs = new RecordingLoggerProvider();
        var runtime = Runtime(
            $"PGPASSWORD=hunter2 echo https://ops:hunter2@h/%d >> {Log}; echo password=hunter2; echo token=hunter2 >&2", "");
        using var factory = logs.CreateFactory();
        var runner = new FailoverCommandRunner(runtime, factory.CreateLogger("failover"));
        runner.Start();

        runtime.Nodes.Degenerate(runtime.Nodes.Nodes[1], "test");
        await runner.DisposeAsync();

        // The command itself ran with the real values; only what is logged is masked.
        Assert.Equal(["https://ops:hunter2@h/1"], await File.ReadAllLinesAsync(Log));
        var lines = logs.Logs.Select(l => l.Message).ToList();
        Assert.Contains(lines, l => l.Contains("PGPASSWORD=******** echo https://ops:********@h/1", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("password=********", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("token=********", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.Contains("hunter2", StringComparison.Ordinal));
    }
}

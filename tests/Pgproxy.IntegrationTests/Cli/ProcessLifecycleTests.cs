using System.Globalization;
using System.Diagnostics;
using Npgsql;
using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Cli;

/// <summary>pgproxy as its users run it: start (foreground or detached), reload, the three stop modes.</summary>
[Collection(CliSuite.Name)]
public sealed class ProcessLifecycleTests(OneNode cluster)
{
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(20);

    [PostgresFact]
    public async Task StartForeground_ThenFastStop_ExitsZeroAndRemovesPidFile()
    {
        await using var pgproxy = new PgproxyProcess(cluster);
        var foreground = pgproxy.StartForeground();
        await pgproxy.WaitUntilAcceptingAsync();
        var pid = pgproxy.Pid;
        Assert.NotNull(pid);

        var stop = await pgproxy.RunAsync("-m", "fast", "stop");

        Assert.Equal(0, stop.ExitCode);
        var run = await foreground.WaitAsync(StopTimeout);
        Assert.Equal(0, run.ExitCode);
        Assert.False(PgproxyProcess.IsAlive(pid.Value));
        Assert.False(File.Exists(pgproxy.PidFilePath));
    }

    [PostgresFact]
    public async Task StartDetached_ReturnsQuicklyWithLivePidAndServesPsql()
    {
        await using var pgproxy = new PgproxyProcess(cluster);
        var clock = Stopwatch.StartNew();

        var start = await pgproxy.RunAsync();

        Assert.True(start.Succeeded, start.StdErr);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(15), $"start took {clock.Elapsed}");
        Assert.True(pgproxy.Pid is { } pid && PgproxyProcess.IsAlive(pid), "the pid file names no live process");
        var psql = (await PgTools.PsqlAsync(pgproxy.Port, "-Atc", "select 42")).EnsureSuccess();
        Assert.Equal("42\n", psql.StdOut);
        Assert.Equal(0, (await pgproxy.RunAsync("-m", "fast", "stop")).ExitCode);
    }

    [PostgresFact]
    public async Task Reload_ChangedClientIdleLimit_LogsReloadedConfiguration()
    {
        await using var pgproxy = new PgproxyProcess(cluster);
        (await pgproxy.RunAsync()).EnsureSuccess();
        pgproxy.WriteConfig([new("client_idle_limit", "5")]);

        (await pgproxy.RunAsync("reload")).EnsureSuccess();

        await Poll.UntilAsync(async () => (await pgproxy.ReadLogAsync()).Contains("reloaded configuration", StringComparison.Ordinal),
            TimeSpan.FromSeconds(10), "\"reloaded configuration\" in pgproxy.log");
        Assert.DoesNotContain("cannot be changed without restarting", await pgproxy.ReadLogAsync(), StringComparison.Ordinal);
        Assert.Equal("1", (await PgTools.PsqlAsync(pgproxy.Port, "-Atc", "select 1")).EnsureSuccess().StdOut.Trim());
    }

    [PostgresFact]
    public async Task Reload_ChangedPort_LogsThatItNeedsRestartAndKeepsOldPort()
    {
        await using var pgproxy = new PgproxyProcess(cluster);
        (await pgproxy.RunAsync()).EnsureSuccess();
        pgproxy.WriteConfig(port: PgproxyCli.FreePort());

        (await pgproxy.RunAsync("reload")).EnsureSuccess();

        await Poll.UntilAsync(
            async () => (await pgproxy.ReadLogAsync()).Contains("parameter \"port\" changed, but it cannot be changed without restarting", StringComparison.Ordinal),
            TimeSpan.FromSeconds(10), "the restart notice for \"port\" in pgproxy.log");
        Assert.Equal("1", (await PgTools.PsqlAsync(pgproxy.Port, "-Atc", "select 1")).EnsureSuccess().StdOut.Trim());
    }

    [PostgresFact]
    public async Task SmartStop_WithConnectedIdleClient_WaitsUntilClientDisconnects()
    {
        await using var pgproxy = new PgproxyProcess(cluster);
        (await pgproxy.RunAsync()).EnsureSuccess();
        var pid = pgproxy.Pid!.Value;
        var client = new NpgsqlConnection(pgproxy.ConnectionString);
        await client.OpenAsync();

        var stop = pgproxy.RunAsync("-m", "smart", "stop");

        // A negative can only be observed over time: the stop must still be pending after a while.
        var finishedEarly = await Task.WhenAny(stop, Task.Delay(TimeSpan.FromSeconds(1.5))) == stop;
        Assert.False(finishedEarly, "smart stop returned while a client was still connected");
        Assert.True(PgproxyProcess.IsAlive(pid));
        await using (var cmd = new NpgsqlCommand("SELECT 'still served'", client))
        {
            Assert.Equal("still served", await cmd.ExecuteScalarAsync());
        }

        await client.DisposeAsync();
        var result = await stop.WaitAsync(StopTimeout);

        Assert.Equal(0, result.ExitCode);
        Assert.False(PgproxyProcess.IsAlive(pid));
        Assert.False(File.Exists(pgproxy.PidFilePath));
    }

    [PostgresFact]
    public async Task ImmediateStop_WithConnectedClient_ExitsAtOnce()
    {
        await using var pgproxy = new PgproxyProcess(cluster);
        (await pgproxy.RunAsync()).EnsureSuccess();
        var pid = pgproxy.Pid!.Value;
        await using var client = new NpgsqlConnection(pgproxy.ConnectionString);
        await client.OpenAsync();
        var clock = Stopwatch.StartNew();

        var stop = await pgproxy.RunAsync("-m", "immediate", "stop");

        Assert.Equal(0, stop.ExitCode);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"immediate stop took {clock.Elapsed}");
        Assert.False(PgproxyProcess.IsAlive(pid));
        Assert.False(File.Exists(pgproxy.PidFilePath));
    }

    [PostgresFact]
    public async Task Start_SecondInstanceWithSamePidFile_FailsNamingTheRunningOne()
    {
        await using var pgproxy = new PgproxyProcess(cluster);
        (await pgproxy.RunAsync()).EnsureSuccess();
        var pid = pgproxy.Pid!.Value;

        var second = await pgproxy.RunAsync("-n");

        Assert.NotEqual(0, second.ExitCode);
        Assert.False(second.TimedOut);
        Assert.Contains("pid file", second.StdErr, StringComparison.Ordinal);
        Assert.Contains($"({pid})", second.StdErr, StringComparison.Ordinal);
        Assert.True(PgproxyProcess.IsAlive(pid));
        Assert.Equal(pid, pgproxy.Pid);
        Assert.Equal(0, (await pgproxy.RunAsync("-m", "fast", "stop")).ExitCode);
    }

    [PostgresFact]
    public async Task Start_WithAPidFileNamingAZombie_Starts()
    {
        // What kill -9 leaves when the parent does not reap: a process that has exited but still has its pid.
        using var parent = System.Diagnostics.Process.Start(new ProcessStartInfo("sh", ["-c", "sleep 0 & echo $!; exec sleep 30"])
        {
            RedirectStandardOutput = true,
        })!;
        var zombie = int.Parse(await parent.StandardOutput.ReadLineAsync() ?? "", CultureInfo.InvariantCulture);
        await Poll.UntilAsync(
            async () => (await File.ReadAllTextAsync($"/proc/{zombie}/stat")).Contains(") Z ", StringComparison.Ordinal),
            TimeSpan.FromSeconds(10), "the child to become a zombie");
        await using var pgproxy = new PgproxyProcess(cluster);
        await File.WriteAllTextAsync(pgproxy.PidFilePath, zombie + "\n");
        try
        {
            var run = pgproxy.StartForeground();
            await pgproxy.WaitUntilAcceptingAsync();
            Assert.Equal(0, (await pgproxy.RunAsync("-m", "fast", "stop")).ExitCode);
            Assert.Equal(0, (await run.WaitAsync(StopTimeout)).ExitCode);
        }
        finally
        {
            parent.Kill();
        }
    }
}

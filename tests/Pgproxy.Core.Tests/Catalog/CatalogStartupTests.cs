using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Pgproxy.Core.Backends;
using Pgproxy.Core.Catalog;
using Pgproxy.Core.Config;
using Pgproxy.Core.Hosting;
using Pgproxy.Core.Logging;
using Pgproxy.TestUtilities.Logging;

namespace Pgproxy.Core.Tests.Catalog;

/// <summary>
/// Start-up and the writer with a system DB nobody listens on (a refused port): what must work without it.
/// The system DB itself is exercised by the integration tests.
/// </summary>
public sealed class CatalogStartupTests : IAsyncDisposable
{
    private readonly DirectoryInfo _workDir = Directory.CreateTempSubdirectory("pgproxy-catalog-test-");
    private readonly RecordingLoggerProvider _logs = new();
    private readonly List<ProxyRuntime> _runtimes = [];
    private readonly List<CatalogWriter> _writers = [];

    private string StatusFile => NodeStatusFile.PathIn(_workDir.FullName);

    public async ValueTask DisposeAsync()
    {
        foreach (var writer in _writers)
        {
            await writer.StopAsync(TimeSpan.FromSeconds(1));
            writer.Dispose();
        }

        foreach (var runtime in _runtimes)
        {
            await runtime.Pool.DisposeAsync();
        }

        _workDir.Delete(recursive: true);
    }

    [Fact]
    public async Task SystemDbUnreachable_StatusFileIsWrittenEventsQueueAndItWarnsOnce()
    {
        var runtime = Runtime();
        var writer = Start(runtime);

        Assert.True(runtime.Nodes.Degenerate(runtime.Nodes.Find(1)!, "read failed: test"));

        await UntilAsync(() => File.ReadAllText(StatusFile).Contains("\n1 down ", StringComparison.Ordinal),
            "the status file to say node 1 is down");
        await UntilAsync(() => _logs.WithEventId(EventIds.CatalogRetryFailed).Count > 0, "a retry of the system DB");
        Assert.False(runtime.Catalog.Connected);
        Assert.NotNull(runtime.Catalog.LastError);
        Assert.Equal(1, runtime.Catalog.PendingEvents);
        var warning = Assert.Single(_logs.WithEventId(EventIds.CatalogUnreachable));
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Contains("127.0.0.1", warning.Message, StringComparison.Ordinal);

        await writer.StopAsync(TimeSpan.FromSeconds(1));
        Assert.Contains("1 node status event(s) not written",
            Assert.Single(_logs.WithEventId(EventIds.CatalogFlushIncomplete)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void StatusFileSaysDown_NodeStartsDownWithSavedTimeAndReason()
    {
        File.WriteAllText(StatusFile,
            "0 up 2026-01-01T00:00:00.0000000+00:00\n1 down 2026-01-01T00:10:00.0000000+00:00 diverged\n");
        var runtime = Runtime();

        Start(runtime);

        var node = runtime.Nodes.Find(1)!;
        Assert.Equal(BackendStatus.Down, node.Status);
        Assert.Equal(new DateTimeOffset(2026, 1, 1, 0, 10, 0, TimeSpan.Zero), node.LastStatusChange);
        Assert.Equal("diverged", node.LastStatusReason);
        Assert.Equal(BackendStatus.Waiting, runtime.Nodes.Find(0)!.Status);
        Assert.Contains("node 1 starts down as the status file says",
            Assert.Single(_logs.WithEventId(EventIds.StatusRestored)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DiscardStatus_IgnoresTheFileAndRewritesIt()
    {
        File.WriteAllText(StatusFile, "0 up\n1 down\n");
        var runtime = Runtime();

        Start(runtime, discardStatus: true);

        Assert.All(runtime.Nodes.Nodes, n => Assert.Equal(BackendStatus.Waiting, n.Status));
        var content = NodeStatusFile.Read(StatusFile)!;
        Assert.Equal([BackendStatus.Up, BackendStatus.Up], content.Entries.Select(e => e.Status));
        Assert.Single(_logs.WithEventId(EventIds.StatusDiscarded));
    }

    [Fact]
    public void BadLines_AreWarnedWithFileAndLineAndTheGoodOnesStillCount()
    {
        File.WriteAllText(StatusFile, "# saved\n0 up\n1 broken\n1 down\n");
        var runtime = Runtime();

        Start(runtime);

        Assert.Equal(BackendStatus.Down, runtime.Nodes.Find(1)!.Status);
        Assert.Equal(
            $"status file {StatusFile}:3: unknown status \"broken\" for node 1 (expected up, down or unused); " +
            "line ignored",
            Assert.Single(_logs.WithEventId(EventIds.StatusFileBadLine)).Message);
    }

    [Fact]
    public void EveryNodeDownInTheFile_IsIgnored()
    {
        File.WriteAllText(StatusFile, "down\ndown\n");
        var runtime = Runtime();

        Start(runtime);

        Assert.All(runtime.Nodes.Nodes, n => Assert.Equal(BackendStatus.Waiting, n.Status));
        Assert.Single(_logs.WithEventId(EventIds.StatusAllDownIgnored));
    }

    [Fact]
    public void WorkDirMissing_StartsAnywayAndWarns()
    {
        var runtime = Runtime(Path.Combine(_workDir.FullName, "missing"));

        Start(runtime);

        Assert.NotNull(runtime.Catalog.StatusFileError);
        Assert.Single(_logs.WithEventId(EventIds.StatusFileWriteFailed));
    }

    private ProxyRuntime Runtime(string? workDir = null)
    {
        var options = new ProxyOptions
        {
            Backends =
            [
                new BackendConfig { NodeId = 0, Hostname = "127.0.0.1", Port = 5432 },
                new BackendConfig { NodeId = 1, Hostname = "127.0.0.1", Port = 5433 },
            ],
            WorkDir = workDir ?? _workDir.FullName,
            SystemDbHostname = "127.0.0.1",
            SystemDbPort = RefusedPort(),
            ConnectTimeout = 2000,
        };
        var runtime = new ProxyRuntime(options, _logs.CreateFactory(), TimeProvider.System);
        _runtimes.Add(runtime);
        return runtime;
    }

    private CatalogWriter Start(ProxyRuntime runtime, bool discardStatus = false)
    {
        var writer = CatalogStartup.Run(runtime, discardStatus);
        _writers.Add(writer);
        return writer;
    }

    /// <summary>A loopback port that was free a moment ago: connecting to it is refused at once.</summary>
    private static int RefusedPort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    private static async Task UntilAsync(Func<bool> condition, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), "timed out waiting for " + what);
            await Task.Delay(20);
        }
    }
}

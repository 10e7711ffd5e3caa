using Npgsql;
using Pgproxy.Core.Catalog;
using Pgproxy.Core.Logging;
using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Logging;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Catalog;

/// <summary>
/// The system DB going away (at start, or while pgproxy runs): clients are served as before, the status file
/// stays current, one warning per outage, and the events reach the system DB once it is back.
/// </summary>
[Collection(CatalogSuite.Name)]
public sealed class SystemDbOutageTests(TwoNodesWithSystemDb cluster) : IDisposable
{
    /// <summary>Retries back off up to 30 s; the system DB's own restart takes a few seconds on top.</summary>
    private static readonly TimeSpan ReplayTimeout = TimeSpan.FromSeconds(60);

    private readonly string _workDir = Directory.CreateTempSubdirectory("pgproxy-outage-").FullName;
    private readonly SystemDbSql _db = new(cluster.SystemDb!, SystemDbSql.UniqueSchema());
    private readonly RecordingLoggerProvider _logs = new();

    /// <summary>The reason a node reached by a session is recorded with (waiting → up).</summary>
    private const string Reached = "a session reached it";

    private string StatusFile => NodeStatusFile.PathIn(_workDir);

    private string QueueFile => PendingEventSpool.PathIn(_workDir);

    public void Dispose()
    {
        _logs.Dispose();
        Directory.Delete(_workDir, recursive: true);
    }

    [PostgresFact]
    public async Task SystemDbDownAtStart_ServesAndWarnsOnce_ThenCreatesTheSchemaAndReplaysTheEvents()
    {
        var systemDb = cluster.SystemDb!;
        using var loggerFactory = _logs.CreateFactory();
        await systemDb.StopAsync();
        try
        {
            await using var proxy = Start(loggerFactory);
            Assert.False(proxy.Runtime.Catalog.Connected);
            Assert.Equal(1, await SelectOneAsync(proxy)); // the session connected node 1: it is up now

            var nodes = proxy.Runtime.Nodes;
            Assert.True(nodes.Degenerate(nodes.Find(1)!, "lost while the system DB was away"));
            await Poll.UntilAsync(() => File.ReadAllText(StatusFile).Contains("\n1 down ", StringComparison.Ordinal),
                TimeSpan.FromSeconds(10), "the status file to say node 1 is down");
            Assert.Equal(1, await SelectOneAsync(proxy));

            await systemDb.StartAsync();
            await Poll.UntilAsync(async () => (await _db.EventsAsync()).Count == 3, ReplayTimeout,
                "the queued events in node_events");
            var events = await _db.EventsAsync();
            Assert.Equal(
                [(0, "waiting", "up", Reached, 0, 0), (1, "waiting", "up", Reached, 0, 0)],
                events.Take(2).OrderBy(e => e.NodeId));
            Assert.Equal((1, "up", "down", "lost while the system DB was away", 0, 0), events[2]);
            await Poll.UntilAsync(async () => (await _db.NodesAsync()).Count == 2, ReplayTimeout, "the node rows");
            Assert.Equal("down", (await _db.NodesAsync())[1].Status);
            Assert.Contains("nodes", await _db.TablesAsync());
            Assert.True(proxy.Runtime.Catalog.Connected);
            Assert.Equal(0, proxy.Runtime.Catalog.PendingEvents);
            Assert.Single(_logs.WithEventId(EventIds.CatalogUnreachable));
            Assert.Contains("3 queued event(s) written",
                Assert.Single(_logs.WithEventId(EventIds.CatalogReconnected)).Message, StringComparison.Ordinal);
        }
        finally
        {
            await systemDb.StartAsync();
        }
    }

    [PostgresFact]
    public async Task SystemDbDownWhileRunning_ServingGoesOn_AndTheEventsArriveWhenItIsBack()
    {
        var systemDb = cluster.SystemDb!;
        using var loggerFactory = _logs.CreateFactory();
        await using var proxy = Start(loggerFactory);
        await Poll.UntilAsync(async () => (await _db.NodesAsync()).Count == 2, TimeSpan.FromSeconds(30),
            "the node rows");
        var nodes = proxy.Runtime.Nodes;

        await systemDb.StopAsync();
        try
        {
            Assert.True(nodes.Degenerate(nodes.Find(1)!, "gone during the outage"));
            Assert.Equal(1, await SelectOneAsync(proxy));
            await Poll.UntilAsync(() => _logs.WithEventId(EventIds.CatalogUnreachable).Count > 0,
                TimeSpan.FromSeconds(30), "the outage warning");
            Assert.True(nodes.Attach(nodes.Find(1)!, "back during the outage"));
            Assert.Equal(1, await SelectOneAsync(proxy));
            await Poll.UntilAsync(() => File.ReadAllText(StatusFile).Contains("\n1 up ", StringComparison.Ordinal),
                TimeSpan.FromSeconds(10), "the status file to say node 1 is up again");
            Assert.False(proxy.Runtime.Catalog.Connected);
            // The status file is written as the node comes up; the event that says so is queued a moment apart
            // (a fresh-clone run found 3 of the 4 queued at this point).
            await Poll.UntilAsync(() => proxy.Runtime.Catalog.PendingEvents == 4, TimeSpan.FromSeconds(10),
                "the outage's four events queued");
            Assert.True(File.Exists(QueueFile), "the queued events are kept on disk during the outage");

            await systemDb.StartAsync();
            await Poll.UntilAsync(async () => (await _db.EventsAsync()).Count == 4, ReplayTimeout,
                "every queued event in node_events");
        }
        finally
        {
            await systemDb.StartAsync();
        }

        Assert.Equal(
            [
                (1, "waiting", "down", "gone during the outage", 0, 0),
                (0, "waiting", "up", Reached, 0, 0),
                (1, "down", "waiting", "back during the outage", 0, 0),
                (1, "waiting", "up", Reached, 0, 0),
            ],
            await _db.EventsAsync());
        Assert.Equal("up", (await _db.NodesAsync())[1].Status);
        await Poll.UntilAsync(() => !File.Exists(QueueFile), TimeSpan.FromSeconds(10),
            "the queue file to be removed once its events are written");
        Assert.Single(_logs.WithEventId(EventIds.CatalogUnreachable));
    }

    [PostgresFact]
    public async Task PgproxyStoppedDuringTheOutage_TheNextRunWritesTheQueuedEvents()
    {
        var systemDb = cluster.SystemDb!;
        using var loggerFactory = _logs.CreateFactory();
        await systemDb.StopAsync();
        try
        {
            await using (var first = Start(loggerFactory))
            {
                Assert.Equal(1, await SelectOneAsync(first));
                var nodes = first.Runtime.Nodes;
                Assert.True(nodes.Degenerate(nodes.Find(1)!, "lost before the stop"));
                await Poll.UntilAsync(() => first.Runtime.Catalog.PendingEvents == 3 && File.Exists(QueueFile),
                    TimeSpan.FromSeconds(10), "three events queued and on disk");
            }

            Assert.Contains("kept in", Assert.Single(_logs.WithEventId(EventIds.CatalogFlushIncomplete)).Message,
                StringComparison.Ordinal);
            Assert.True(File.Exists(QueueFile));
            await systemDb.StartAsync();

            await using var second = Start(loggerFactory);
            await Poll.UntilAsync(async () => (await _db.EventsAsync()).Count == 3, ReplayTimeout,
                "the first run's events in node_events");
            Assert.Equal((1, "up", "down", "lost before the stop", 0, 0), (await _db.EventsAsync())[2]);
            Assert.Contains("3 node status event(s)",
                Assert.Single(_logs.WithEventId(EventIds.CatalogQueueRead)).Message, StringComparison.Ordinal);
            await Poll.UntilAsync(() => !File.Exists(QueueFile), TimeSpan.FromSeconds(10), "the queue file removed");
            Assert.Equal("down", (await _db.NodesAsync())[1].Status);
        }
        finally
        {
            await systemDb.StartAsync();
        }
    }

    [PostgresFact]
    public async Task ReloadChangingAWeight_RewritesTheNodeRows()
    {
        using var loggerFactory = _logs.CreateFactory();
        await using var proxy = Start(loggerFactory);
        await Poll.UntilAsync(async () => (await _db.NodesAsync()).Count == 2, TimeSpan.FromSeconds(30),
            "the node rows");
        var options = proxy.Runtime.Options;

        proxy.Server.Reload(options with
        {
            Backends = [.. options.Backends.Select(b => b.NodeId == 1 ? b with { Weight = 3 } : b)],
        });

        await Poll.UntilAsync(
            async () => await _db.ScalarAsync<double>($"SELECT weight FROM \"{_db.Schema}\".nodes WHERE node_id = 1") == 3,
            TimeSpan.FromSeconds(10), "node 1's row to carry the new weight");
    }

    private ProxyHost Start(Microsoft.Extensions.Logging.ILoggerFactory loggerFactory) =>
        ProxyHost.Start(cluster, o => o with { WorkDir = _workDir, SystemDbSchema = _db.Schema, ConnectTimeout = 3000 },
            loggerFactory: loggerFactory);

    private static async Task<int> SelectOneAsync(ProxyHost proxy)
    {
        await using var conn = await proxy.OpenAsync();
        await using var cmd = new NpgsqlCommand("SELECT 1", conn);
        return (int)(await cmd.ExecuteScalarAsync())!;
    }
}

using Microsoft.Extensions.Logging;
using Pgproxy.Core.Catalog;
using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Catalog;

/// <summary>
/// The system DB catalog and the status file with pgproxy in-process: the schema it creates, what a node status
/// change leaves there, and what a restart makes of it.
/// </summary>
[Collection(CatalogSuite.Name)]
public sealed class SystemDbCatalogTests(TwoNodesWithSystemDb cluster) : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private readonly string _workDir = Directory.CreateTempSubdirectory("pgproxy-catalog-").FullName;
    private readonly SystemDbSql _db = new(cluster.SystemDb!, SystemDbSql.UniqueSchema());

    private string StatusFile => NodeStatusFile.PathIn(_workDir);

    public void Dispose() => Directory.Delete(_workDir, recursive: true);

    [PostgresFact]
    public async Task Start_CreatesSchemaWithEveryTable_AndARowPerNode()
    {
        await using var proxy = Start();

        Assert.Equal(["consistency_results", "node_events", "nodes", "prepared_transaction_resolutions",
                "recovery_journal", "schema_version"],
            await _db.TablesAsync());
        Assert.Equal(CatalogMigrations.LatestVersion,
            await _db.ScalarAsync<int>($"SELECT max(version) FROM \"{_db.Schema}\".schema_version"));
        await Poll.UntilAsync(async () => (await _db.NodesAsync()).Count == 2, Timeout, "two rows in nodes");
        Assert.Equal([(0, "waiting", "main", ""), (1, "waiting", "replica", "")], await _db.NodesAsync());
        Assert.True(proxy.Runtime.Catalog.Connected);
        Assert.Equal(CatalogMigrations.LatestVersion, proxy.Runtime.Catalog.SchemaVersion);
    }

    [PostgresFact]
    public async Task Restart_DoesNotApplyTheMigrationsAgain()
    {
        await using (Start())
        {
        }

        await using var proxy = Start();

        Assert.Equal((long)CatalogMigrations.All.Count,
            await _db.ScalarAsync<long>($"SELECT count(*) FROM \"{_db.Schema}\".schema_version"));
        Assert.True(proxy.Runtime.Catalog.Connected);
    }

    [PostgresFact]
    public async Task Degenerate_WritesEventNodeRowAndStatusFile_AndTheNodeStaysDownAcrossRestarts()
    {
        await using (var proxy = Start())
        {
            Assert.True(proxy.Runtime.Nodes.Degenerate(proxy.Runtime.Nodes.Find(1)!, "test: taken out"));

            await Poll.UntilAsync(async () => (await _db.EventsAsync()).Count == 1, Timeout, "the event row");
            Assert.Equal((1, "waiting", "down", "test: taken out", 0, 0), Assert.Single(await _db.EventsAsync()));
            await Poll.UntilAsync(async () => (await _db.NodesAsync())[1].Status == "down", Timeout, "node 1 row down");
            Assert.Equal((1, "down", "replica", "test: taken out"), (await _db.NodesAsync())[1]);
            Assert.Contains("\n1 down ", await File.ReadAllTextAsync(StatusFile), StringComparison.Ordinal);
        }

        await using (var proxy = Start())
        {
            var statuses = await PoolNodes.StatusesAsync(proxy.ConnectionString());
            Assert.Equal("down", statuses[1]);
            Assert.NotEqual("down", statuses[0]);
            Assert.Equal("test: taken out", proxy.Runtime.Nodes.Find(1)!.LastStatusReason);
        }

        // Without the status file the catalog alone keeps the node down.
        File.Delete(StatusFile);
        await using (var proxy = Start())
        {
            Assert.Equal("down", (await PoolNodes.StatusesAsync(proxy.ConnectionString()))[1]);
            Assert.Contains("\n1 down ", await File.ReadAllTextAsync(StatusFile), StringComparison.Ordinal);
        }

        // -D: both are ignored, the node is back, and file and catalog say so.
        await using (var proxy = Start(discardStatus: true))
        {
            Assert.Contains((await PoolNodes.StatusesAsync(proxy.ConnectionString()))[1], new[] { "waiting", "up" });
            Assert.Contains("\n1 up ", await File.ReadAllTextAsync(StatusFile), StringComparison.Ordinal);
            await Poll.UntilAsync(async () => (await _db.NodesAsync())[1].Status != "down", Timeout,
                "node 1 row no longer down");
        }
    }

    [PostgresFact]
    public async Task CatalogNewerThanStatusFile_Wins()
    {
        await using (Start())
        {
        }

        File.WriteAllText(StatusFile,
            "0 up 2020-01-01T00:00:00.0000000+00:00\n1 up 2020-01-01T00:00:00.0000000+00:00\n");
        await _db.ExecuteAsync(
            $"UPDATE \"{_db.Schema}\".nodes SET status = 'down', last_status_change = now(), reason = 'by hand' " +
            "WHERE node_id = 1");

        await using var proxy = Start();

        Assert.Equal("down", (await PoolNodes.StatusesAsync(proxy.ConnectionString()))[1]);
        Assert.Equal("by hand", proxy.Runtime.Nodes.Find(1)!.LastStatusReason);
    }

    [PostgresFact]
    public async Task Attach_RecordsTheSecondEvent_AndTheRowFollowsTheLiveStatus()
    {
        await using var proxy = Start();
        var nodes = proxy.Runtime.Nodes;

        Assert.True(nodes.Degenerate(nodes.Find(0)!, "main lost"));
        Assert.True(nodes.Attach(nodes.Find(0)!, "attached by test"));

        await Poll.UntilAsync(async () => (await _db.EventsAsync()).Count == 2, Timeout, "two event rows");
        Assert.Equal(
            [(0, "waiting", "down", "main lost", 0, 1), (0, "down", "waiting", "attached by test", 1, 0)],
            await _db.EventsAsync());
        await Poll.UntilAsync(async () => (await _db.NodesAsync())[0] == (0, "waiting", "main", "attached by test"),
            Timeout, "node 0 row back to waiting and main");
    }

    private ProxyHost Start(bool discardStatus = false, ILoggerFactory? loggerFactory = null) =>
        ProxyHost.Start(cluster, o => o with { WorkDir = _workDir, SystemDbSchema = _db.Schema }, discardStatus,
            loggerFactory);
}

using System.Globalization;
using Npgsql;
using Pgproxy.Core.Backends;
using Pgproxy.Core.Config;
using Pgproxy.Core.Health;
using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Health;

/// <summary>
/// What the health check tests share: a pgproxy checking every second (timeout 2 s, one retry after 1 s) as
/// user postgres, a temp folder for hook output, and nodes started again after each test.
/// </summary>
public abstract class HealthCheckTestBase(HealthNodes cluster) : IAsyncLifetime
{
    /// <summary>Long enough for any number of check rounds on a busy machine; never a performance bound.</summary>
    protected static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private readonly List<ProxyHost> _proxies = [];

    protected HealthNodes Cluster => cluster;

    protected IReadOnlyList<PostgresInstance> Nodes => cluster.Nodes;

    protected string Folder { get; } = Directory.CreateTempSubdirectory("pgproxy-health-").FullName;

    public Task InitializeAsync() => cluster.StartAllAsync();

    public async Task DisposeAsync()
    {
        foreach (var proxy in _proxies)
        {
            await proxy.DisposeAsync();
        }

        await cluster.StartAllAsync();
        Directory.Delete(Folder, recursive: true);
    }

    internal ProxyHost StartProxy(Func<ProxyOptions, ProxyOptions>? configure = null)
    {
        var proxy = ProxyHost.Start(cluster, o =>
        {
            o = o with
            {
                HealthCheckPeriod = 1,
                HealthCheckTimeout = 2,
                HealthCheckMaxRetries = 1,
                HealthCheckRetryDelay = 1,
                HealthCheckUser = PostgresInstance.User,
            };
            return configure?.Invoke(o) ?? o;
        });
        _proxies.Add(proxy);
        return proxy;
    }

    internal static BackendNode Node(ProxyHost proxy, int nodeId) => proxy.Server.Runtime.Nodes.Find(nodeId)!;

    internal static HealthCheckStatsSnapshot Stats(ProxyHost proxy, int nodeId) =>
        proxy.Server.Runtime.HealthStats[nodeId].Snapshot();

    /// <summary>Waits until the health checker has degenerated the node (and no one else did first).</summary>
    internal static async Task WaitUntilDegeneratedByHealthCheckAsync(ProxyHost proxy, int nodeId)
    {
        var node = Node(proxy, nodeId);
        await Poll.UntilAsync(() => node.Status == BackendStatus.Down, Patience, $"node {nodeId} to go down");
        Assert.StartsWith("health check failed: ", node.LastStatusReason, StringComparison.Ordinal);
    }

    /// <summary>Waits until a hook wrote its file; returns its single line.</summary>
    protected static async Task<string> ReadHookOutputAsync(string path)
    {
        await Poll.UntilAsync(() => File.Exists(path) && new FileInfo(path).Length > 0 &&
                                    File.ReadAllText(path).EndsWith('\n'), Patience, $"{path} to be written");
        return (await File.ReadAllTextAsync(path)).TrimEnd('\n');
    }

    /// <summary>Every row of an admin command through pgproxy, by column name.</summary>
    internal static async Task<List<Dictionary<string, string>>> ShowAsync(ProxyHost proxy, string command)
    {
        await using var conn = await proxy.OpenAsync();
        await using var cmd = new NpgsqlCommand(command, conn);
        await using var reader = await cmd.ExecuteReaderAsync();
        var rows = new List<Dictionary<string, string>>();
        while (await reader.ReadAsync())
        {
            var row = new Dictionary<string, string>();
            for (var i = 0; i < reader.FieldCount; i++)
            {
                row[reader.GetName(i)] = reader.GetString(i);
            }

            rows.Add(row);
        }

        return rows;
    }

    protected static string Invariant(int value) => value.ToString(CultureInfo.InvariantCulture);
}

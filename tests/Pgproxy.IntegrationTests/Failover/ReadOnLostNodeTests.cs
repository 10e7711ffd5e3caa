using System.Diagnostics;
using System.Globalization;
using Npgsql;
using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Failover;

/// <summary>
/// A read load-balanced to node 1 whose backend dies under it (kill -9: a crash, which sends the client nothing, as
/// a node lost to the network does): outside a transaction the read runs again on main and the client gets its
/// rows, by Npgsql's extended protocol as by a simple Query (which it did before; an extended read got 40001).
/// </summary>
[Collection(FailoverSuite.Name)]
public sealed class ReadOnLostNodeTests(KillableNodes cluster) : IAsyncLifetime
{
    public async Task InitializeAsync()
    {
        await NodeSql.StartStoppedAsync(cluster.Nodes);
    }

    public async Task DisposeAsync()
    {
        // Node 1 restarts by itself after the crash (restart_after_crash): the next test needs it accepting again.
        var waited = Stopwatch.StartNew();
        while (!await NodeSql.IsRunningAsync(cluster.Nodes[1]) && waited.Elapsed < TimeSpan.FromSeconds(30))
        {
            await Task.Delay(200);
        }
    }

    [PostgresFact]
    public async Task An_extended_read_whose_node_crashes_under_it_runs_again_on_main()
    {
        // Reads go to node 1 (main's weight 0); no health check takes node 1 out before the read meets its loss.
        await using var proxy = ProxyHost.Start(cluster, o => o with
        {
            Backends = [o.Backends[0] with { Weight = 0 }, o.Backends[1] with { Weight = 1 }],
            LoadBalanceMode = true,
            HealthCheckPeriod = 0,
        }, discardStatus: true);
        await using var conn = await proxy.OpenAsync(b => b.Pooling = false);
        var ports = cluster.Nodes.Select(n => n.Port.ToString(CultureInfo.InvariantCulture))
            .ToArray();
        Assert.Equal(ports[1], await PortAsync(conn, ""));

        const string marker = "pgproxy_read_on_lost_node";
        var read = PortAsync(conn, $"/* {marker} */ pg_catalog.pg_sleep(2), ");
        var pid = await BackendRunningAsync(cluster.Nodes[1], marker);
        System.Diagnostics.Process.Start("kill", ["-9", pid.ToString(CultureInfo.InvariantCulture)])!.WaitForExit();

        Assert.Equal(ports[0], await read);
        Assert.Equal("down", (await PoolNodes.StatusesAsync(proxy.ConnectionString()))[1]);
        Assert.Equal(ports[0], await PortAsync(conn, "")); // the session goes on, on main
    }

    /// <summary>The port of the node that answered; <paramref name="before"/> goes first in the select list.</summary>
    private static async Task<string> PortAsync(NpgsqlConnection conn, string before)
    {
        await using var cmd = new NpgsqlCommand($"SELECT {before}pg_catalog.current_setting('port')", conn);
        await using var reader = await cmd.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        return reader.GetString(reader.FieldCount - 1);
    }

    /// <summary>The pid of node's backend running a statement that contains <paramref name="marker"/>.</summary>
    private static async Task<int> BackendRunningAsync(PostgresInstance node, string marker)
    {
        var waited = Stopwatch.StartNew();
        while (true)
        {
            var pid = await NodeSql.ScalarAsync<int?>(node,
                "SELECT pid FROM pg_catalog.pg_stat_activity WHERE query LIKE '%" + marker + "%' " +
                "AND pid <> pg_catalog.pg_backend_pid() LIMIT 1");
            if (pid is { } found)
            {
                return found;
            }

            Assert.True(waited.Elapsed < TimeSpan.FromSeconds(10), "the read never reached node 1");
            await Task.Delay(20);
        }
    }
}

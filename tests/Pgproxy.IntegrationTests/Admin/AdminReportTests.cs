using System.Globalization;
using Npgsql;
using Pgproxy.Core.Backends;
using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Admin;

/// <summary>SHOW POOL_BACKEND_STATS and SHOW POOL_POOLS through a two-node proxy, against known traffic.</summary>
[Collection(AdminSuite.Name)]
public sealed class AdminReportTests(TwoNodes cluster) : AdminTestBase(cluster)
{
    private static readonly string[] BackendStatsColumns =
    [
        "node_id", "hostname", "port", "status", "role", "select_cnt", "insert_cnt", "update_cnt", "delete_cnt",
        "ddl_cnt", "other_cnt", "panic_cnt", "fatal_cnt", "error_cnt",
    ];

    private static readonly string[] PoolPoolsColumns =
    [
        "pool_pid", "start_time", "client_connection_count", "pool_id", "backend_id", "database", "username",
        "backend_connection_time", "client_connection_time", "client_disconnection_time", "client_idle_duration",
        "majorversion", "minorversion", "pool_counter", "pool_backendpid", "pool_connected", "status",
        "load_balance_node", "client_host", "client_port", "statement",
    ];

    [PostgresFact]
    public async Task BackendStats_CountWhatEachNodeRan()
    {
        var table = NodeSql.UniqueTable("stats");
        await using var conn = await OpenAsync();
        var before = Snapshot();

        await RunAsync(conn, $"CREATE TABLE {table} (id int PRIMARY KEY, v int)");
        await RunAsync(conn, $"INSERT INTO {table} VALUES (1, 0), (2, 0)");
        await RunAsync(conn, $"INSERT INTO {table} VALUES (3, 0)");
        await RunAsync(conn, $"INSERT INTO {table} VALUES (4, 0)");
        await RunAsync(conn, $"UPDATE {table} SET v = 1 WHERE id <= 2");
        await RunAsync(conn, $"DELETE FROM {table} WHERE id = 4");
        for (var i = 0; i < 5; i++)
        {
            await RunAsync(conn, $"SELECT count(*) FROM {table}");
        }

        await Assert.ThrowsAsync<PostgresException>(() => RunAsync(conn, "SELECT * FROM no_such_table_here"));
        await Assert.ThrowsAsync<PostgresException>(() => RunAsync(conn, "INSERT INTO no_such_table_here VALUES (1)"));
        var after = Snapshot();

        for (var node = 0; node < 2; node++)
        {
            // Writes run on both nodes; pgproxy's own BEGIN/COMMIT around them are not counted.
            Assert.Equal(1, after[node].Ddl - before[node].Ddl);
            Assert.Equal(3, after[node].Insert - before[node].Insert);
            Assert.Equal(1, after[node].Update - before[node].Update);
            Assert.Equal(1, after[node].Delete - before[node].Delete);
        }

        // Reads ran on one node each; the failed read on one node, the failed write on main only.
        Assert.Equal(5, after.Sum(n => n.Select) - before.Sum(n => n.Select));
        Assert.Equal(2, after.Sum(n => n.Error) - before.Sum(n => n.Error));
        Assert.True(after[0].Error - before[0].Error >= 1, "main never saw the failed write");

        var (columns, rows) = await ShowAsync("POOL_BACKEND_STATS", conn);
        Assert.Equal(BackendStatsColumns, columns);
        Assert.Equal(2, rows.Count);
        for (var node = 0; node < 2; node++)
        {
            var row = rows[node];
            Assert.Equal(Invariant(node), row["node_id"]);
            Assert.Equal(Invariant(Nodes[node].Port), row["port"]);
            Assert.Equal("up", row["status"]);
            Assert.Equal(node == 0 ? "main" : "replica", row["role"]);
            Assert.Equal(Invariant(after[node].Insert), row["insert_cnt"]);
            Assert.Equal(Invariant(after[node].Update), row["update_cnt"]);
            Assert.Equal(Invariant(after[node].Delete), row["delete_cnt"]);
            Assert.Equal(Invariant(after[node].Ddl), row["ddl_cnt"]);
            Assert.Equal(Invariant(after[node].Error), row["error_cnt"]);
            Assert.Equal("0", row["panic_cnt"]);
            Assert.Equal("0", row["fatal_cnt"]);
        }
    }

    [PostgresFact]
    public async Task PoolPools_ListsEverySessionOnEveryNode_ThenTheCachedConnections()
    {
        await using var a = await OpenAsync(b => b.ApplicationName = "pools_a");
        await using var b = await OpenAsync(b => b.ApplicationName = "pools_b");
        var pidA = await ProxyPidAsync(a);
        var pidB = await ProxyPidAsync(b);

        var (columns, rows) = await ShowAsync("POOL_POOLS", a);

        Assert.Equal(PoolPoolsColumns, columns);
        var sessionRows = rows.Where(r => r["pool_pid"] != "0").ToList();
        Assert.Equal(4, sessionRows.Count);
        foreach (var (pid, application) in new[] { (pidA, "pools_a"), (pidB, "pools_b") })
        {
            var mine = sessionRows.Where(r => r["pool_pid"] == Invariant(pid)).ToList();
            Assert.Equal(["0", "1"], mine.Select(r => r["backend_id"]).Order());
            foreach (var row in mine)
            {
                var node = Nodes[int.Parse(row["backend_id"], CultureInfo.InvariantCulture)];
                Assert.Equal("postgres", row["database"]);
                Assert.Equal("postgres", row["username"]);
                Assert.Equal("1", row["pool_connected"]);
                Assert.Equal("127.0.0.1", row["client_host"]);
                Assert.NotEqual("", row["client_port"]);
                // The backend pid pgproxy reports is the node's own process for this client's session.
                var nodeApplication = await NodeSql.ScalarAsync<string>(node,
                    $"SELECT application_name FROM pg_stat_activity WHERE pid = {row["pool_backendpid"]}");
                Assert.Equal(application, nodeApplication);
            }
        }

        Assert.Equal("Execute command", sessionRows.Single(r =>
            r["pool_pid"] == Invariant(pidA) && r["backend_id"] == "0")["status"]);
        // b's session marks itself waiting for its client right after sending ReadyForQuery, which Npgsql may
        // read first: under load the report can see the moment before.
        await Poll.UntilAsync(async () => (await ShowAsync("POOL_POOLS", a)).Rows.Single(r =>
                r["pool_pid"] == Invariant(pidB) && r["backend_id"] == "0")["status"] == "Idle",
            TimeSpan.FromSeconds(10), "b's session reported Idle");

        await b.CloseAsync();
        await Poll.UntilAsync(() => Proxy.Server.Runtime.Pool.IdleCount == 2, TimeSpan.FromSeconds(10),
            "b's two connections in the cache");
        var cached = (await ShowAsync("POOL_POOLS", a)).Rows.Where(r => r["pool_pid"] == "0").ToList();
        Assert.Equal(2, cached.Count);
        Assert.All(cached, r => Assert.Equal("Wait for connection", r["status"]));
        Assert.Equal(["0", "1"], cached.Select(r => r["backend_id"]).Order());
        Assert.DoesNotContain((await ShowAsync("POOL_POOLS", a)).Rows, r => r["pool_pid"] == Invariant(pidB));
    }

    [PostgresFact]
    public async Task PoolStatus_ShowsNoSecrets()
    {
        await using var host = ProxyHost.Start(Cluster, o => o with
        {
            HealthCheckPassword = "hc-s3cret",
            SystemDbPassword = "sys-s3cret",
            FailoverCommand = "PGPASSWORD=fo-s3cret /bin/true %d",
        });
        await using var conn = await host.OpenAsync();

        var (_, rows) = await ShowAsync("POOL_STATUS", conn);

        var values = rows.ToDictionary(r => r["item"], r => r["value"]);
        Assert.Equal("********", values["health_check_password"]);
        Assert.Equal("********", values["system_db_password"]);
        Assert.Equal("PGPASSWORD=******** /bin/true %d", values["failover_command"]);
        Assert.DoesNotContain(rows, r => r["value"].Contains("s3cret", StringComparison.Ordinal));
    }

    private (long Select, long Insert, long Update, long Delete, long Ddl, long Error)[] Snapshot() =>
        [.. Proxy.Server.Runtime.Nodes.Nodes.Select(n => Counts(n.Statistics))];

    private static (long, long, long, long, long, long) Counts(NodeStatistics s) =>
        (s.SelectCount, s.InsertCount, s.UpdateCount, s.DeleteCount, s.DdlCount, s.ErrorCount);

    private static async Task RunAsync(NpgsqlConnection conn, string sql)
    {
        await using var cmd = new NpgsqlCommand(sql, conn);
        await cmd.ExecuteNonQueryAsync();
    }

    /// <summary>The pid pgproxy gave the connection (its BackendKeyData), as pool_pid shows it.</summary>
    private static async Task<int> ProxyPidAsync(NpgsqlConnection conn)
    {
        await using var cmd = new NpgsqlCommand("SELECT 1", conn);
        await cmd.ExecuteScalarAsync();
        return conn.ProcessID;
    }

    private static string Invariant(long value) => value.ToString(CultureInfo.InvariantCulture);
}

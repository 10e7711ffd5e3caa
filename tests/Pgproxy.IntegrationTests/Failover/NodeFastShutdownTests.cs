using Npgsql;
using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Postgres;
using Xunit.Abstractions;

namespace Pgproxy.IntegrationTests.Failover;

/// <summary>
/// <c>pg_ctl stop -m fast</c> sends every backend the FATAL 57P01 that <c>pg_terminate_backend</c> sends one
/// (issue 16 item 14): a node really shutting down must still be taken out for everyone, and the session that meets
/// it goes on with the node left, while one terminated backend only ends its own session.
/// </summary>
[Collection(FailoverSuite.Name)]
public sealed class NodeFastShutdownTests(KillableNodes cluster, ITestOutputHelper output) : IAsyncLifetime
{
    public async Task InitializeAsync()
    {
        foreach (var node in cluster.Nodes)
        {
            if (!await IsRunningAsync(node))
            {
                await node.StartAsync();
            }
        }
    }

    public async Task DisposeAsync()
    {
        foreach (var node in cluster.Nodes)
        {
            if (!await IsRunningAsync(node))
            {
                await node.StartAsync();
            }
        }
    }

    [PostgresFact]
    public async Task Main_stopped_fast_between_statements_is_taken_out_and_the_session_goes_on_on_node_1()
    {
        var table = NodeSql.UniqueTable("itest_fast");
        foreach (var node in cluster.Nodes)
        {
            await NodeSql.ExecuteAsync(node, $"CREATE TABLE {table} (id int PRIMARY KEY)");
        }

        // pgproxy's log goes with a failed test: this one failed only in the full suite, where other sessions share
        // the process (and its caches).
        using var log = new TestOutputLoggerProvider(output);
        using var loggerFactory = log.CreateFactory();
        await using var proxy = ProxyHost.Start(cluster, discardStatus: true, loggerFactory: loggerFactory);
        await using var conn = await proxy.OpenAsync();
        await ExecuteAsync(conn, $"INSERT INTO {table} VALUES (1)");

        await cluster.Nodes[0].StopAsync("fast");

        // Main's backend said 57P01 and the node refuses new connections: it is going away, so it is taken out. The
        // statement was an extended-protocol group, which pgproxy does not run again (40001, as for any lost main).
        var lost = await Assert.ThrowsAsync<PostgresException>(() => ExecuteAsync(conn, $"INSERT INTO {table} VALUES (2)"));
        Assert.Equal("40001", lost.SqlState);
        Assert.Contains("57P01", proxy.Runtime.Nodes.Find(0)!.LastStatusReason, StringComparison.Ordinal);
        var statuses = await PoolNodes.StatusesAsync(proxy.ConnectionString());
        Assert.Equal("down", statuses[0]);
        Assert.Equal("up", statuses[1]);

        // The same session goes on, on node 1, main now.
        Assert.Equal(1, await ExecuteAsync(conn, $"INSERT INTO {table} VALUES (3)"));
        Assert.Equal(2L, await NodeSql.CountAsync(cluster.Nodes[1], table));
    }

    // What made the test above fail in the full suite, forced: the table-defaults cache is process-wide and a CREATE
    // through any pgproxy session empties it, so the INSERT after the stop must look its table up on the stopped
    // main first. Main's 57P01 answers that catalog query; it used to end the session without a word.
    [PostgresFact]
    public async Task Main_stopped_fast_answering_a_catalog_query_is_taken_out_and_the_session_goes_on_on_node_1()
    {
        var table = NodeSql.UniqueTable("itest_fastcat");
        foreach (var node in cluster.Nodes)
        {
            await NodeSql.ExecuteAsync(node, $"CREATE TABLE {table} (id int PRIMARY KEY)");
        }

        using var log = new TestOutputLoggerProvider(output);
        using var loggerFactory = log.CreateFactory();
        await using var proxy = ProxyHost.Start(cluster, discardStatus: true, loggerFactory: loggerFactory);
        await using var conn = await proxy.OpenAsync();
        await ExecuteAsync(conn, $"INSERT INTO {table} VALUES (1)");

        await cluster.Nodes[0].StopAsync("fast");
        // Another pgproxy in the process, both of whose nodes are node 1 (node 0 is down), runs a CREATE.
        await using (var other = ProxyHost.Start(cluster, o => o with
                     {
                         Backends = [o.Backends[0] with { Port = cluster.Nodes[1].Port }, o.Backends[1]],
                     }, discardStatus: true))
        await using (var ddl = await other.OpenAsync())
        {
            await ExecuteAsync(ddl, $"CREATE TEMP TABLE {table}_other (id int)");
        }

        var lost = await Assert.ThrowsAsync<PostgresException>(() => ExecuteAsync(conn, $"INSERT INTO {table} VALUES (2)"));
        Assert.Equal("40001", lost.SqlState);
        Assert.Contains("57P01", proxy.Runtime.Nodes.Find(0)!.LastStatusReason, StringComparison.Ordinal);
        Assert.Equal(1, await ExecuteAsync(conn, $"INSERT INTO {table} VALUES (3)"));
        Assert.Equal(2L, await NodeSql.CountAsync(cluster.Nodes[1], table));
    }

    private static async Task<int> ExecuteAsync(NpgsqlConnection conn, string sql)
    {
        await using var cmd = new NpgsqlCommand(sql, conn);
        return await cmd.ExecuteNonQueryAsync();
    }

    private static async Task<bool> IsRunningAsync(PostgresInstance node)
    {
        try
        {
            await NodeSql.ScalarAsync<int>(node, "SELECT 1");
            return true;
        }
        catch (NpgsqlException)
        {
            return false;
        }
    }
}

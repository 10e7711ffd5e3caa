using System.Globalization;
using System.Text.RegularExpressions;
using Npgsql;
using Pgproxy.Core.Config;
using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Failover;

/// <summary>
/// A node killed (<c>pg_ctl stop -m immediate</c>) under 16 pgbench TPC-B clients: the session that meets the
/// dead node takes it out for everyone and the clients go on with the node left. Every commit pgbench counted
/// is checked on the surviving node directly.
/// </summary>
[Collection(FailoverSuite.Name)]
public sealed partial class NodeLossDuringPgbenchTests(KillableNodes cluster) : IAsyncLifetime
{
    public async Task InitializeAsync()
    {
        // A previous test may have left a node stopped; both must run, with the same pgbench data.
        await NodeSql.StartStoppedAsync(cluster.Nodes);

        await using var proxy = ProxyHost.Start(cluster, discardStatus: true);
        var init = await PgTools.PgbenchAsync(proxy.Port, "-i", "-q", "-s", "1");
        Assert.True(init.ExitCode == 0, init.StdOut + init.StdErr);
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [PostgresFact]
    public async Task A_replica_killed_under_tpcb_costs_no_transaction_and_stays_down_across_a_restart()
    {
        var schema = "failover_" + Guid.NewGuid().ToString("N")[..10];
        ProxyOptions Configure(ProxyOptions o) =>
            o with { SystemDbSchema = schema, HealthCheckPeriod = 1, HealthCheckTimeout = 2 };
        var proxy = ProxyHost.Start(cluster, Configure);
        DateTimeOffset killedAt;
        ProcessResult result;
        try
        {
            var run = PgTools.PgbenchAsync(proxy.Port, "-c", "16", "-j", "2", "-T", "6", "-n");
            await Task.Delay(TimeSpan.FromSeconds(2));
            killedAt = DateTimeOffset.UtcNow;
            await cluster.Nodes[1].StopAsync("immediate");
            result = await run;
            Assert.Equal(["up", "down"], await NodeStatusesAsync(proxy));
        }
        finally
        {
            await proxy.DisposeAsync();
        }

        Assert.True(result.ExitCode == 0, result.StdOut + result.StdErr);
        Assert.Contains("number of failed transactions: 0", result.StdOut, StringComparison.Ordinal);
        Assert.Equal(Processed(result.StdOut), await NodeSql.CountAsync(cluster.Nodes[0], "pgbench_history"));

        // The catalog has it down, recorded within health_check_period + health_check_timeout of the kill.
        var systemDb = cluster.SystemDb!;
        await using (var conn = new NpgsqlConnection(systemDb.ConnectionStringFor("pgproxy")))
        {
            await conn.OpenAsync();
            await using var cmd = new NpgsqlCommand(
                $"SELECT n.status, (SELECT min(at) FROM {schema}.node_events e WHERE e.node_id = 1 AND e.current = 'down') " +
                $"FROM {schema}.nodes n WHERE n.node_id = 1", conn);
            await using var reader = await cmd.ExecuteReaderAsync();
            Assert.True(await reader.ReadAsync());
            Assert.Equal("down", reader.GetString(0));
            var recordedAfter = reader.GetFieldValue<DateTimeOffset>(1) - killedAt;
            Assert.True(recordedAfter < TimeSpan.FromSeconds(3), $"recorded {recordedAfter} after the kill");
        }

        // Node 1 runs again, but a restarted pgproxy keeps it down until it is attached.
        await cluster.Nodes[1].StartAsync();
        await using var restarted = ProxyHost.Start(cluster, Configure);
        Assert.Equal(["up", "down"], await NodeStatusesAsync(restarted));
    }

    [PostgresFact]
    public async Task Main_killed_under_tpcb_the_next_node_becomes_main_and_no_commit_is_missing()
    {
        await using var proxy = ProxyHost.Start(cluster, discardStatus: true);
        var run = PgTools.PgbenchAsync(proxy.Port, "-c", "16", "-j", "2", "-T", "6", "-n");
        await Task.Delay(TimeSpan.FromSeconds(2));
        await cluster.Nodes[0].StopAsync("immediate");
        var result = await run;

        // Transactions in flight on the lost main fail with 40001 (pgbench counts them and goes on); the rest
        // commit on node 1, which is main now.
        Assert.True(result.ExitCode == 0, result.StdOut + result.StdErr);
        Assert.Equal(["down", "up"], await NodeStatusesAsync(proxy));
        Assert.True(await NodeSql.CountAsync(cluster.Nodes[1], "pgbench_history") >= Processed(result.StdOut),
            result.StdOut);

        // New work succeeds at once, on the new main.
        await using var conn = await proxy.OpenAsync();
        await using var cmd = new NpgsqlCommand("INSERT INTO pgbench_history (tid, bid, aid, delta) VALUES (1, 1, 1, 7)",
            conn);
        Assert.Equal(1, await cmd.ExecuteNonQueryAsync());
        Assert.Equal(1L, await NodeSql.ScalarAsync<long>(cluster.Nodes[1],
            "SELECT count(*) FROM pgbench_history WHERE delta = 7 AND mtime IS NULL"));
    }

    [PostgresFact]
    public async Task Main_killed_between_statements_an_open_transaction_fails_with_40001_and_the_session_goes_on()
    {
        await using var proxy = ProxyHost.Start(cluster, discardStatus: true);
        await using var conn = await proxy.OpenAsync();
        await using (var tx = await BeginWithAWriteAsync(conn))
        {
            await cluster.Nodes[0].StopAsync("immediate");
            await using var next = new NpgsqlCommand("UPDATE pgbench_tellers SET tbalance = tbalance + 1", conn, tx);
            var error = await Assert.ThrowsAsync<PostgresException>(() => next.ExecuteNonQueryAsync());
            Assert.Equal("40001", error.SqlState);
            await tx.RollbackAsync();
        }

        // Nothing of the transaction is on node 1, and the same session keeps working there.
        Assert.Equal(0L, await NodeSql.ScalarAsync<long>(cluster.Nodes[1], "SELECT sum(bbalance) FROM pgbench_branches"));
        await using var again = new NpgsqlCommand("UPDATE pgbench_branches SET bbalance = bbalance + 1", conn);
        Assert.Equal(1, await again.ExecuteNonQueryAsync());
        Assert.Equal(1L, await NodeSql.ScalarAsync<long>(cluster.Nodes[1], "SELECT sum(bbalance) FROM pgbench_branches"));
    }

    [PostgresFact]
    public async Task Main_taken_out_by_another_session_fails_an_open_transaction_with_40001_at_its_next_statement()
    {
        // Node 1 still owes the answer to the transaction's UPDATE when another session finds node 0 dead: the next
        // statement must not take that answer for its own (a SELECT answered "UPDATE 1", the UPDATE after it
        // compared with the SELECT's: XX001 under pgbench).
        await using var proxy = ProxyHost.Start(cluster, discardStatus: true);
        await using var conn = await proxy.OpenAsync();
        await using (var tx = await BeginWithAWriteAsync(conn))
        {
            await cluster.Nodes[0].StopAsync("immediate");
            await using (var other = await proxy.OpenAsync())
            {
                await using var finds = new NpgsqlCommand("UPDATE pgbench_tellers SET tbalance = tbalance + 1", other);
                await finds.ExecuteNonQueryAsync(); // fails over to node 1 and runs there
            }

            Assert.Equal(["down", "up"], await NodeStatusesAsync(proxy));
            await using var read = new NpgsqlCommand("SELECT sum(bbalance) FROM pgbench_branches", conn, tx);
            var error = await Assert.ThrowsAsync<PostgresException>(() => read.ExecuteScalarAsync());
            Assert.Equal("40001", error.SqlState);
            await tx.RollbackAsync();
        }

        Assert.Equal(0L, await NodeSql.ScalarAsync<long>(cluster.Nodes[1], "SELECT sum(bbalance) FROM pgbench_branches"));
        await using var again = new NpgsqlCommand("SELECT sum(bbalance) FROM pgbench_branches", conn);
        Assert.Equal(0L, (long)(await again.ExecuteScalarAsync())!);
    }

    /// <summary>A transaction that has written on every node (its UPDATE's answers may still be owed).</summary>
    private static async Task<NpgsqlTransaction> BeginWithAWriteAsync(NpgsqlConnection conn)
    {
        var tx = await conn.BeginTransactionAsync();
        await using var write = new NpgsqlCommand("UPDATE pgbench_branches SET bbalance = bbalance + 1", conn, tx);
        await write.ExecuteNonQueryAsync();
        return tx;
    }

    private static async Task<List<string>> NodeStatusesAsync(ProxyHost proxy)
    {
        await using var conn = await proxy.OpenAsync();
        await using var cmd = new NpgsqlCommand("SHOW POOL_NODES", conn);
        await using var reader = await cmd.ExecuteReaderAsync();
        var statuses = new List<string>();
        while (await reader.ReadAsync())
        {
            statuses.Add(reader.GetString(reader.GetOrdinal("status")));
        }

        return statuses;
    }

    private static long Processed(string pgbenchOutput) =>
        long.Parse(ProcessedLine().Match(pgbenchOutput).Groups[1].Value, CultureInfo.InvariantCulture);

    [GeneratedRegex(@"number of transactions actually processed: (\d+)")]
    private static partial Regex ProcessedLine();
}

using System.Globalization;
using System.Text.RegularExpressions;
using Npgsql;
using Pgproxy.Core.Backends;
using Pgproxy.Core.Recovery;
using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Postgres;
using Xunit.Abstractions;

namespace Pgproxy.IntegrationTests.Recovery;

/// <summary>
/// Recovery while eight clients write through pgproxy (issue 15's test): the node comes up with a bounded cutover
/// pause, no committed transaction is lost or doubled, and both nodes hold the same rows.
/// </summary>
[Collection(RecoverySuite.Name)]
public sealed partial class RecoveryUnderLoadTests(TwoNodes cluster, ITestOutputHelper output) : RecoveryTestBase(cluster)
{
    private static readonly string[] Tables = ["pgbench_accounts", "pgbench_branches", "pgbench_tellers", "pgbench_history"];
    /// <summary>
    /// Eight clients write TPC-B-like transactions through pgproxy while node 1 is recovered. Their sessions were
    /// opened while node 1 was down, so after the attach each is ended with 57P01 at its next request or COMMIT,
    /// before anything of it commits (the transaction rolls back); the client reconnects and runs the transaction
    /// again, as an application does after a failback. Every committed transaction is on both nodes, none twice, and
    /// the nodes read directly are identical.
    /// </summary>
    [PostgresFact]
    public async Task A_node_recovered_under_eight_writing_clients_is_identical_and_loses_no_committed_transaction()
    {
        await using var proxy = ProxyHost.Start(Cluster, discardStatus: true);
        (await PgTools.PgbenchAsync(proxy.Port, "-i", "-q", "-s", "1")).EnsureSuccess();
        await ExecuteThroughAsync(proxy,
            "DROP TABLE IF EXISTS recovery_stamps; " +
            "CREATE TABLE recovery_stamps (id serial PRIMARY KEY, at timestamptz NOT NULL DEFAULT now(), " +
            "client int)");

        var node1 = proxy.Runtime.Nodes.Find(1)!;
        proxy.Runtime.Nodes.Degenerate(node1, "test");

        using var stop = new CancellationTokenSource();
        var clients = Enumerable.Range(0, 8).Select(c => Task.Run(() => WriteUntilAsync(proxy, c, stop.Token))).ToList();
        var stamps = Task.Run(() => AutocommitWriter.RunUntilAsync(proxy, // a serial and now() default
            _ => "INSERT INTO recovery_stamps (client) VALUES (9)", stop.Token));
        await Task.Delay(TimeSpan.FromSeconds(2));
        var outcome = await new NodeRecovery(proxy.Runtime, RecordedLogs.CreateLogger("Pgproxy.Recovery"))
            .RunAsync(new RecoveryRequest(1, Wipe: true, "test"), new RecoveryProgress(), CancellationToken.None);
        await Task.Delay(TimeSpan.FromSeconds(2)); // writes after the attach reach both nodes
        await stop.CancelAsync();
        var results = await Task.WhenAll(clients);
        var stamped = await stamps;

        output.WriteLine($"recovered in {outcome.Duration.TotalMilliseconds:0} ms, longest cutover pause " +
                         $"{outcome.LongestCutoverPause.TotalMilliseconds:0} ms, {outcome.CutoverAttempts} attempt(s); " +
                         $"{results.Sum(r => r.Committed)} committed, {results.Sum(r => r.Reconnects)} reconnects");
        Assert.True(outcome.Succeeded, outcome.Error + "\n" + string.Join("\n", RecordedLogs.Logs.Select(l => l.Message)));
        Assert.NotEqual(BackendStatus.Down, node1.Status);
        Assert.True(outcome.LongestCutoverPause < TimeSpan.FromSeconds(5), $"{outcome.LongestCutoverPause}");
        Assert.All(results, r => Assert.True(r.Committed > 0));
        var committed = results.Sum(r => r.Committed);
        foreach (var node in Cluster.Nodes)
        {
            Assert.Equal(committed, await NodeSql.ScalarAsync<long>(node, "SELECT count(*) FROM pgbench_history"));
            Assert.Equal(results.Sum(r => r.Delta),
                await NodeSql.ScalarAsync<long>(node, "SELECT sum(abalance)::bigint FROM pgbench_accounts"));
        }

        Assert.True(stamped > 0);
        foreach (var node in Cluster.Nodes)
        {
            Assert.Equal(stamped, await NodeSql.CountAsync(node, "recovery_stamps"));
        }

        await NodeCompare.AssertIdenticalAsync(Cluster.Nodes[0], Cluster.Nodes[1]); // sequences too
        foreach (var table in Tables)
        {
            var sql = $"SELECT count(*)::text || '/' || coalesce(sum(hashtext(t::text)), 0)::text FROM {table} t";
            Assert.Equal(await NodeSql.ScalarAsync<string>(Cluster.Nodes[0], sql),
                await NodeSql.ScalarAsync<string>(Cluster.Nodes[1], sql));
        }
    }

    /// <summary>One client: transactions until stopped, each run again after a 57P01 that rolled it back.</summary>
    private static async Task<(long Committed, long Delta, int Reconnects)> WriteUntilAsync(ProxyHost proxy, int client,
        CancellationToken stop)
    {
        long committed = 0, delta = 0;
        var reconnects = 0;
        var random = new Random(client);
        NpgsqlConnection? conn = null;
        try
        {
            while (!stop.IsCancellationRequested)
            {
                var aid = random.Next(1, 100_001);
                var change = random.Next(-5000, 5001);
                conn ??= await proxy.OpenAsync();
                try
                {
                    await using var cmd = new NpgsqlCommand(
                        $"BEGIN; UPDATE pgbench_accounts SET abalance = abalance + {change} WHERE aid = {aid}; " +
                        $"INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (1, 1, {aid}, {change}, " +
                        "'2026-12-05 00:00:00'); COMMIT", conn);
                    await cmd.ExecuteNonQueryAsync(CancellationToken.None);
                    committed++;
                    delta += change;
                }
                catch (PostgresException e) when (e.SqlState == "57P01")
                {
                    // Ended before its COMMIT reached any node: nothing of it committed; run it again.
                    await conn.DisposeAsync();
                    conn = null;
                    reconnects++;
                }
            }
        }
        finally
        {
            if (conn is not null)
            {
                await conn.DisposeAsync();
            }
        }

        return (committed, delta, reconnects);
    }

    private static long Processed(string output) =>
        long.Parse(ProcessedLine().Match(output).Groups[1].Value, CultureInfo.InvariantCulture);

    [GeneratedRegex(@"number of transactions actually processed: (\d+)")]
    private static partial Regex ProcessedLine();
}

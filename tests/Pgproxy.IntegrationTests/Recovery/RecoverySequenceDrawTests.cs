using Pgproxy.Core.Recovery;
using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Postgres;
using Xunit.Abstractions;

namespace Pgproxy.IntegrationTests.Recovery;

/// <summary>
/// Recoveries while several clients insert into a serial table, each in its own session opened while the node was
/// down. At the cutover such a session's INSERT may be running on main: it draws the next id there, waits at the
/// closed gate for its commit and is ended (57P01) once the node is up; the draw stays on main. Copied before that
/// draw, the node's sequence stayed behind main's by one per such writer, and every later row got another id on each
/// node (three writers: four cutovers in five left the node 3 behind; the recovery's check failed it).
/// </summary>
[Collection(RecoverySuite.Name)]
public sealed class RecoverySequenceDrawTests(TwoNodes cluster, ITestOutputHelper output) : RecoveryTestBase(cluster)
{
    [PostgresFact]
    public async Task Sessions_drawing_on_main_during_the_cutover_leave_the_recovered_node_with_main_s_sequences()
    {
        await using var proxy = ProxyHost.Start(Cluster, discardStatus: true);
        await ExecuteThroughAsync(proxy,
            "DROP TABLE IF EXISTS draw_rows; CREATE TABLE draw_rows (id serial PRIMARY KEY, writer int)");

        var node1 = proxy.Runtime.Nodes.Find(1)!;
        proxy.Runtime.Nodes.Degenerate(node1, "test");
        using var stop = new CancellationTokenSource();
        // Extended protocol (Npgsql, one session until it is ended) and simple (psql, a session per INSERT).
        var writers = Enumerable.Range(0, 3)
            .Select(w => Task.Run(() => AutocommitWriter.RunUntilAsync(proxy,
                _ => $"INSERT INTO draw_rows (writer) VALUES ({w})", stop.Token)))
            .Concat(Enumerable.Range(3, 2).Select(w => Task.Run(() => PsqlInsertUntilAsync(proxy, w, stop.Token))))
            .ToList();
        await Task.Delay(TimeSpan.FromSeconds(1));
        for (var round = 1; round <= 3; round++)
        {
            if (round > 1)
            {
                proxy.Runtime.Nodes.Degenerate(node1, "test, round " + round);
                await Task.Delay(TimeSpan.FromMilliseconds(500));
            }

            var outcome = await RecoverAsync(proxy, new RecoveryProgress(), wipe: true);
            output.WriteLine($"round {round}: {outcome.Duration.TotalMilliseconds:0} ms, pause " +
                             $"{outcome.LongestCutoverPause.TotalMilliseconds:0} ms, {outcome.CutoverAttempts} attempt(s)");
            Assert.True(outcome.Succeeded, $"round {round}: {outcome.Error}{Logs()}");
            await Task.Delay(TimeSpan.FromMilliseconds(700)); // rows on both nodes, ids drawn on each
        }

        await stop.CancelAsync();
        var inserted = (await Task.WhenAll(writers)).Sum();
        Assert.True(inserted > 0);
        foreach (var node in Cluster.Nodes)
        {
            Assert.Equal(inserted, await NodeSql.CountAsync(node, "draw_rows"));
        }

        await NodeCompare.AssertIdenticalAsync(Cluster.Nodes[0], Cluster.Nodes[1]); // rows and sequences
    }

    /// <summary>psql -c INSERT until stopped, as the demo writes: a session per row, counted when psql succeeded.</summary>
    private static async Task<long> PsqlInsertUntilAsync(ProxyHost proxy, int writer, CancellationToken stop)
    {
        long inserted = 0;
        while (!stop.IsCancellationRequested)
        {
            var result = await PgTools.PsqlAsync(proxy.Port, "-q", "-c",
                $"INSERT INTO draw_rows (writer) VALUES ({writer})");
            if (result.ExitCode == 0)
            {
                inserted++;
            }
        }

        return inserted;
    }
}

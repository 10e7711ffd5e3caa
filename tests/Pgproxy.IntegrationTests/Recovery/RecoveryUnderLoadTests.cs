using System.Globalization;
using System.Text.RegularExpressions;
using Pgproxy.Core.Backends;
using Pgproxy.Core.Recovery;
using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Logging;
using Pgproxy.TestUtilities.Postgres;
using Xunit.Abstractions;

namespace Pgproxy.IntegrationTests.Recovery;

/// <summary>
/// Recovery while eight pgbench clients run TPC-B through pgproxy (issue 15's test): no client transaction fails,
/// the node comes up with a bounded cutover pause; and (not yet) once pgbench ends both nodes hold the same rows.
/// </summary>
[Collection(RecoverySuite.Name)]
public sealed partial class RecoveryUnderLoadTests(TwoNodes cluster, ITestOutputHelper output) : IAsyncLifetime, IDisposable
{
    private static readonly string[] Tables = ["pgbench_accounts", "pgbench_branches", "pgbench_tellers", "pgbench_history"];
    private readonly RecordingLoggerProvider _logs = new();

    public async Task InitializeAsync()
    {
        foreach (var node in cluster.Nodes)
        {
            if (!await NodeSql.IsRunningAsync(node))
            {
                await node.StartAsync();
            }
        }
    }

    public Task DisposeAsync() => Task.CompletedTask;

    public void Dispose() => _logs.Dispose();

    [PostgresFact]
    public Task A_node_recovered_under_eight_client_tpcb_costs_no_transaction_and_comes_up() =>
        RecoverUnderLoadAsync(compare: false);

    /// <summary>
    /// Fails today: a session keeps the nodes it connected to, so pgbench's sessions, opened while node 1 was down,
    /// go on writing to node 0 alone after the attach, and a transaction open across the cut commits on node 0
    /// alone (RecoveryOutcome.SessionsWithoutNode counts them). Needs the sessions to take in an attached node at
    /// a transaction boundary and the cutover to wait for their open transactions (Sessions/, Replication/).
    /// </summary>
    [PostgresFact(Skip = "sessions connected while the node was down do not write to it after the attach")]
    public Task A_node_recovered_under_eight_client_tpcb_is_identical_once_pgbench_ends() =>
        RecoverUnderLoadAsync(compare: true);

    private async Task RecoverUnderLoadAsync(bool compare)
    {
        await using var proxy = ProxyHost.Start(cluster, discardStatus: true);
        (await PgTools.PgbenchAsync(proxy.Port, "-i", "-q", "-s", "1")).EnsureSuccess();
        var node1 = proxy.Runtime.Nodes.Find(1)!;
        proxy.Runtime.Nodes.Degenerate(node1, "test");

        var load = PgTools.PgbenchAsync(proxy.Port, "-c", "8", "-j", "2", "-T", "30", "-n");
        await Task.Delay(TimeSpan.FromSeconds(2));
        var progress = new RecoveryProgress();
        var outcome = await new NodeRecovery(proxy.Runtime, _logs.CreateLogger("Pgproxy.Recovery"))
            .RunAsync(new RecoveryRequest(1, Wipe: true, "test"), progress, CancellationToken.None);
        var recoveredWhileLoaded = !load.IsCompleted;
        var result = (await load).EnsureSuccess();

        output.WriteLine($"recovered in {outcome.Duration.TotalMilliseconds:0} ms, longest cutover pause " +
                         $"{outcome.LongestCutoverPause.TotalMilliseconds:0} ms, {outcome.CutoverAttempts} attempt(s), " +
                         $"{outcome.SessionsWithoutNode} session(s) without the node at the attach");
        output.WriteLine(result.StdOut);
        Assert.True(outcome.Succeeded, outcome.Error + "\n" + string.Join("\n", _logs.Logs.Select(l => l.Message)));
        Assert.True(recoveredWhileLoaded, "pgbench ended before the recovery did");
        Assert.NotEqual(BackendStatus.Down, node1.Status);
        Assert.Matches(@"number of failed transactions: 0 \(", result.StdOut);
        Assert.True(Processed(result.StdOut) > 0, result.StdOut);
        Assert.True(outcome.LongestCutoverPause < TimeSpan.FromSeconds(5), $"{outcome.LongestCutoverPause}");
        if (compare)
        {
            foreach (var table in Tables)
            {
                var sql = $"SELECT count(*)::text || '/' || coalesce(sum(hashtext(t::text)), 0)::text FROM {table} t";
                Assert.Equal(await NodeSql.ScalarAsync<string>(cluster.Nodes[0], sql),
                    await NodeSql.ScalarAsync<string>(cluster.Nodes[1], sql));
            }
        }
    }

    private static long Processed(string output) =>
        long.Parse(ProcessedLine().Match(output).Groups[1].Value, CultureInfo.InvariantCulture);

    [GeneratedRegex(@"number of transactions actually processed: (\d+)")]
    private static partial Regex ProcessedLine();
}

using System.Globalization;
using System.Text.RegularExpressions;
using Pgproxy.IntegrationTests.Admin;
using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Consistency;

/// <summary>
/// The common cut (issue 14): checks taken while eight pgbench clients commit TPC-B transactions through pgproxy
/// find no difference that is not there — a commit caught on one node and not yet on the other would be one —
/// and cost no client transaction. The nodes are then compared directly.
/// </summary>
[Collection(CheckSuite.Name)]
public sealed partial class CheckUnderLoadTests(TwoNodes cluster) : AdminTestBase(cluster)
{
    private static readonly string[] Tables = ["pgbench_accounts", "pgbench_branches", "pgbench_tellers", "pgbench_history"];

    [PostgresFact]
    public async Task Checks_under_eight_client_tpcb_find_no_false_difference_and_fail_no_transaction()
    {
        (await PgTools.PgbenchAsync(Proxy.Port, "-i", "-q", "-s", "1")).EnsureSuccess();
        try
        {
            var load = PgTools.PgbenchAsync(Proxy.Port, "-c", "8", "-j", "2", "-T", "8", "-n");
            var runs = 0;
            await Task.Delay(500);
            while (!load.IsCompleted)
            {
                var summary = await CheckAsync("PGPROXY CHECK TABLE " + string.Join(", ", Tables));
                Assert.True(summary["state"] == "identical", summary["detail"]);
                runs++;
            }

            var result = (await load).EnsureSuccess();
            Assert.True(runs >= 2, $"only {runs} check(s) ran during the load");
            Assert.Matches(@"number of failed transactions: 0 \(", result.StdOut);
            Assert.True(Processed(result.StdOut) > 0, result.StdOut);

            foreach (var sql in new[]
                     {
                         "SELECT sum(abalance) FROM pgbench_accounts", "SELECT count(*) FROM pgbench_history",
                         "SELECT sum(tbalance) FROM pgbench_tellers", "SELECT sum(bbalance) FROM pgbench_branches",
                     })
            {
                Assert.Equal(await NodeSql.ScalarAsync<long>(Nodes[0], sql), await NodeSql.ScalarAsync<long>(Nodes[1], sql));
            }

            Assert.True(Proxy.Runtime.WriteGate.Closures.Snapshot().Count >= runs);
        }
        finally
        {
            await ExecuteAsync("DROP TABLE IF EXISTS " + string.Join(", ", Tables));
        }
    }

    private async Task<Dictionary<string, string>> CheckAsync(string sql)
    {
        await ExecuteAsync(sql);
        Dictionary<string, string>? summary = null;
        await Poll.UntilAsync(async () =>
        {
            summary = (await ShowAsync("POOL_CHECK")).Rows[0];
            return summary["state"] != "running";
        }, TimeSpan.FromSeconds(60), "the consistency check to end");
        return summary!;
    }

    private static long Processed(string output) =>
        long.Parse(ProcessedLine().Match(output).Groups[1].Value, CultureInfo.InvariantCulture);

    [GeneratedRegex(@"number of transactions actually processed: (\d+)")]
    private static partial Regex ProcessedLine();
}

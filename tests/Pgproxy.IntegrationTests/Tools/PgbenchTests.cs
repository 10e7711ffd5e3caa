using System.Globalization;
using System.Text.RegularExpressions;
using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Tools;

/// <summary>pgbench through pgproxy; its own cluster, so it runs beside the other collections.</summary>
public sealed partial class PgbenchTests(PgbenchTests.Cluster cluster) : ProxyTestBase(cluster), IClassFixture<PgbenchTests.Cluster>
{
    /// <summary>One node, initialised once with <c>pgbench -i -s 1</c> by whichever test needs it first.</summary>
    public sealed class Cluster() : PgClusterFixture(1)
    {
        private Task<ProcessResult>? _init;

        public Task<ProcessResult> InitializeOnceAsync(int proxyPort) =>
            _init ??= PgTools.PgbenchAsync(proxyPort, "-i", "-s", "1", "-q");
    }

    [PostgresFact]
    public async Task PgbenchInit_ScaleOne_LoadsAllTablesOnNode0()
    {
        var result = await cluster.InitializeOnceAsync(Proxy.Port);

        result.EnsureSuccess();
        Assert.Equal(100_000L, await NodeSql.CountAsync(Node, "pgbench_accounts"));
        Assert.Equal(10L, await NodeSql.CountAsync(Node, "pgbench_tellers"));
        Assert.Equal(1L, await NodeSql.CountAsync(Node, "pgbench_branches"));
        Assert.Equal(1L, await NodeSql.ScalarAsync<long>(Node,
            "SELECT count(*) FROM pg_constraint WHERE conrelid = 'pgbench_accounts'::regclass AND contype = 'p'"));
    }

    [PostgresTheory]
    [InlineData("simple")]
    [InlineData("extended")]
    [InlineData("prepared")]
    public async Task PgbenchSelectOnly_EveryQueryMode_NoFailures(string mode)
    {
        (await cluster.InitializeOnceAsync(Proxy.Port)).EnsureSuccess();

        var result = await PgTools.PgbenchAsync(Proxy.Port, "-S", "-t", "250", "-c", "4", "-j", "2", "-M", mode);

        AssertCleanRun(result);
        Assert.Equal(100_000L, await NodeSql.CountAsync(Node, "pgbench_accounts"));
    }

    [PostgresFact]
    public async Task PgbenchTpcB_FourClients_NoFailuresAndHistoryOnNode()
    {
        (await cluster.InitializeOnceAsync(Proxy.Port)).EnsureSuccess();
        var historyBefore = await NodeSql.CountAsync(Node, "pgbench_history");

        var result = await PgTools.PgbenchAsync(Proxy.Port, "-t", "50", "-c", "4");

        AssertCleanRun(result);
        Assert.Equal(100_000L, await NodeSql.CountAsync(Node, "pgbench_accounts"));
        var processed = long.Parse(ProcessedPattern().Match(result.StdOut).Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.Equal(historyBefore + processed, await NodeSql.CountAsync(Node, "pgbench_history"));
    }

    private static void AssertCleanRun(ProcessResult result)
    {
        result.EnsureSuccess();
        Assert.Contains("number of failed transactions: 0", result.StdOut, StringComparison.Ordinal);
        var tps = TpsPattern().Match(result.StdOut);
        Assert.True(tps.Success, result.StdOut);
        Assert.True(double.Parse(tps.Groups[1].Value, CultureInfo.InvariantCulture) > 0, result.StdOut);
    }

    [GeneratedRegex(@"tps = ([0-9.]+)")]
    private static partial Regex TpsPattern();

    [GeneratedRegex(@"number of transactions actually processed: (\d+)")]
    private static partial Regex ProcessedPattern();
}

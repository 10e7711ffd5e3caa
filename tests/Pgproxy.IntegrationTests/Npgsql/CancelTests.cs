using System.Diagnostics;
using Npgsql;
using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Npgsql;

[Collection(NpgsqlSuite.Name)]
public sealed class CancelTests(OneNode cluster) : ProxyTestBase(cluster)
{
    private static readonly TimeSpan Quickly = TimeSpan.FromSeconds(10);

    [PostgresFact]
    public async Task Cancel_FromAnotherThreadDuringSleep_Ends57014AndConnectionUsable()
    {
        await using var conn = await OpenAsync();
        await using var cmd = new NpgsqlCommand("SELECT pg_sleep(30) /* itest_cancel */", conn);
        var clock = Stopwatch.StartNew();
        var running = cmd.ExecuteNonQueryAsync();
        await Poll.UntilAsync(
            async () => await NodeSql.ScalarAsync<long>(Node,
                "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query LIKE '%itest_cancel%' AND pid <> pg_backend_pid()") == 1,
            Quickly, "the sleep to run on node 0");

        await Task.Run(cmd.Cancel);

        var error = await Assert.ThrowsAnyAsync<Exception>(() => running);
        Assert.Equal(PostgresErrorCodes.QueryCanceled, PostgresErrors.Find(error)?.SqlState);
        Assert.True(clock.Elapsed < Quickly, $"cancel took {clock.Elapsed}");
        Assert.Equal(System.Data.ConnectionState.Open, conn.State);
        await using var after = new NpgsqlCommand("SELECT 7", conn);
        Assert.Equal(7, await after.ExecuteScalarAsync());
    }

    [PostgresFact]
    public async Task CommandTimeout_DuringSleep_CancelsQuicklyAndConnectionUsable()
    {
        await using var conn = await OpenAsync();
        await using var cmd = new NpgsqlCommand("SELECT pg_sleep(30)", conn) { CommandTimeout = 1 };
        var clock = Stopwatch.StartNew();

        var error = await Assert.ThrowsAnyAsync<NpgsqlException>(() => cmd.ExecuteNonQueryAsync());

        Assert.True(clock.Elapsed < Quickly, $"timeout took {clock.Elapsed}");
        Assert.True(error.InnerException is TimeoutException || PostgresErrors.Find(error)?.SqlState == PostgresErrorCodes.QueryCanceled, error.ToString());
        Assert.Equal(System.Data.ConnectionState.Open, conn.State);
        await using var after = new NpgsqlCommand("SELECT 8", conn);
        Assert.Equal(8, await after.ExecuteScalarAsync());
    }
}

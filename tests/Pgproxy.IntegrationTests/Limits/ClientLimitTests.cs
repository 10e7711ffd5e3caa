using System.Diagnostics;
using Npgsql;
using Pgproxy.Core.Config;
using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Limits;

[Collection(LimitsSuite.Name)]
public sealed class ClientLimitTests(OneNode cluster) : ProxyTestBase(cluster)
{
    protected override ProxyOptions Configure(ProxyOptions options) => options with { NumInitChildren = 2 };

    [PostgresFact]
    public async Task Open_ThirdClientOverNumInitChildren_Refused53300AtOnceOthersKeepWorking()
    {
        await using var first = await OpenAsync();
        await using var second = await OpenAsync();
        var clock = Stopwatch.StartNew();

        var error = await Assert.ThrowsAsync<PostgresException>(() => OpenAsync());

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"refusal took {clock.Elapsed}");
        Assert.Equal(PostgresErrorCodes.TooManyConnections, error.SqlState);
        Assert.Equal("sorry, too many clients already", error.MessageText);
        Assert.Equal(1, await ScalarAsync(first, "SELECT 1"));
        Assert.Equal(2, await ScalarAsync(second, "SELECT 2"));

        await first.CloseAsync();
        await Poll.UntilAsync(() => Proxy.Server.SessionCount == 1, TimeSpan.FromSeconds(5), "the first session to end");
        await using var third = await OpenAsync();
        Assert.Equal(3, await ScalarAsync(third, "SELECT 3"));
        Assert.Equal(2, await ScalarAsync(second, "SELECT 2"));
    }

    [PostgresFact]
    public async Task Cancel_WhileEveryClientSlotIsTaken_StillReachesTheBackend()
    {
        await using var busy = await OpenAsync();
        await using var other = await OpenAsync();
        await using var sleep = new NpgsqlCommand("SELECT pg_sleep(30)", busy) { CommandTimeout = 1 };
        var clock = Stopwatch.StartNew();

        await Assert.ThrowsAnyAsync<NpgsqlException>(() => sleep.ExecuteNonQueryAsync());

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"cancel took {clock.Elapsed}");
        Assert.Equal(System.Data.ConnectionState.Open, busy.State);
        Assert.Equal(4, await ScalarAsync(busy, "SELECT 4"));
    }

    private static async Task<object?> ScalarAsync(NpgsqlConnection conn, string sql)
    {
        await using var cmd = new NpgsqlCommand(sql, conn);
        return await cmd.ExecuteScalarAsync();
    }
}

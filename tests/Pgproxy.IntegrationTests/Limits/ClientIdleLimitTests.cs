using Npgsql;
using Pgproxy.Core.Config;
using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Limits;

[Collection(LimitsSuite.Name)]
public sealed class ClientIdleLimitTests(OneNode cluster) : ProxyTestBase(cluster)
{
    protected override ProxyOptions Configure(ProxyOptions options) => options with { ClientIdleLimit = 1 };

    [PostgresFact]
    public async Task IdleClient_BeyondClientIdleLimit_DisconnectedWith57P05()
    {
        await using var conn = await OpenAsync();
        Assert.Equal(1, Proxy.Server.SessionCount);

        await Poll.UntilAsync(() => Proxy.Server.SessionCount == 0, TimeSpan.FromSeconds(5), "pgproxy to drop the idle client");

        await using var cmd = new NpgsqlCommand("SELECT 1", conn);
        var error = await Assert.ThrowsAnyAsync<NpgsqlException>(() => cmd.ExecuteScalarAsync());
        if (error is PostgresException pg)
        {
            Assert.Equal(PostgresErrorCodes.IdleSessionTimeout, pg.SqlState);
        }

        Assert.NotEqual(System.Data.ConnectionState.Open, conn.State);
    }

    [PostgresFact]
    public async Task RunningQuery_LongerThanClientIdleLimit_NotKilled()
    {
        await using var conn = await OpenAsync();
        await using var cmd = new NpgsqlCommand("SELECT pg_sleep(2.5), 'survived'", conn);
        await using var reader = await cmd.ExecuteReaderAsync();

        Assert.True(await reader.ReadAsync());
        Assert.Equal("survived", reader.GetString(1));
    }
}

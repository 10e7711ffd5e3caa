using Npgsql;
using Pgproxy.Core.Config;
using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Limits;

/// <summary><c>reserved_connections</c> keeps slots back: clients are refused once the rest are taken.</summary>
[Collection(LimitsSuite.Name)]
public sealed class ReservedConnectionsTests(OneNode cluster) : ProxyTestBase(cluster)
{
    protected override ProxyOptions Configure(ProxyOptions options) =>
        options with { NumInitChildren = 3, ReservedConnections = 1 };

    [PostgresFact]
    public async Task Open_BeyondNumInitChildrenMinusReserved_Refused53300WhileTheOthersWork()
    {
        await using var first = await OpenAsync();
        await using var second = await OpenAsync();

        var error = await Assert.ThrowsAsync<PostgresException>(() => OpenAsync());

        Assert.Equal(PostgresErrorCodes.TooManyConnections, error.SqlState);
        await using var cmd = new NpgsqlCommand("SELECT 1", second);
        Assert.Equal(1, await cmd.ExecuteScalarAsync());
        Assert.Equal(System.Data.ConnectionState.Open, first.State);
    }
}

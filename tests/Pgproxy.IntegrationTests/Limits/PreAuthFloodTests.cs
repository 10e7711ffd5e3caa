using System.Net;
using Npgsql;
using Pgproxy.Core.Config;
using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Limits;

/// <summary>
/// Issue 11 item 2 at small scale: twice num_init_children idle connections and as many slowloris ones, each
/// re-opened once pgproxy drops it, and real logins through Npgsql still succeed throughout, including the very
/// last client slot. The floods come from addresses of their own (127.0.0.2 and .3), the real clients from
/// 127.0.0.1, as an attack from elsewhere would.
/// </summary>
[Collection(LimitsSuite.Name)]
public sealed class PreAuthFloodTests(OneNode cluster) : ProxyTestBase(cluster)
{
    private const int NumInitChildren = 4;

    // Defaults otherwise: max_authenticating_connections = 8, per address 4.
    protected override ProxyOptions Configure(ProxyOptions options) =>
        options with { NumInitChildren = NumInitChildren };

    [PostgresFact]
    public async Task IdleAndSlowlorisFloods_RealLoginsStillSucceed_AndEveryDroppedConnectionIsToldWhy()
    {
        var flooding = 2 * NumInitChildren;
        await using var idle = PreAuthFlood.Start(IPAddress.Parse("127.0.0.2"), Proxy.Port, flooding, slowloris: false);
        await using var slow = PreAuthFlood.Start(IPAddress.Parse("127.0.0.3"), Proxy.Port, flooding, slowloris: true);
        await Poll.UntilAsync(
            () => idle.Opened > flooding && slow.Opened > flooding && Proxy.Runtime.Authenticating.Count == 8,
            TimeSpan.FromSeconds(20), "both floods to fill every authenticating place and be re-opening");

        // Clients logging in during the flood: all but one slot held, then one new client after another in the
        // last one.
        var held = new List<NpgsqlConnection>();
        try
        {
            for (var i = 0; i < NumInitChildren - 1; i++)
            {
                held.Add(await OpenAsync());
            }

            for (var i = 0; i < 6; i++)
            {
                // The last client's session gives its slot back a moment after the client closed: under load the
                // next login came first and was refused with 53300, rightly.
                await Poll.UntilAsync(() => Task.FromResult(Proxy.Runtime.Sessions.Count < NumInitChildren),
                    TimeSpan.FromSeconds(10), "the last client's slot to be given back");
                await using var conn = await OpenAsync();
                Assert.Equal(i, await ScalarAsync(conn, $"SELECT {i}"));
            }

            foreach (var conn in held)
            {
                Assert.Equal(42, await ScalarAsync(conn, "SELECT 42"));
            }
        }
        finally
        {
            foreach (var conn in held)
            {
                await conn.DisposeAsync();
            }
        }

        var closings = idle.Closings.Concat(slow.Closings).ToList();
        Assert.NotEmpty(closings);
        Assert.All(closings, closing =>
        {
            Assert.Contains("53300", closing, StringComparison.Ordinal);
            Assert.Contains("too many connections", closing, StringComparison.Ordinal);
        });
        Assert.Contains(idle.Closings, c => c.Contains("max_authenticating_connections_per_address = 4",
            StringComparison.Ordinal));
        Assert.Contains(slow.Closings, c => c.Contains("max_authenticating_connections_per_address = 4",
            StringComparison.Ordinal));
    }

    private static async Task<object?> ScalarAsync(NpgsqlConnection conn, string sql)
    {
        await using var cmd = new NpgsqlCommand(sql, conn);
        return await cmd.ExecuteScalarAsync();
    }
}

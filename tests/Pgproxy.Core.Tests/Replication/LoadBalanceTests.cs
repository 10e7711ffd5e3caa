using Pgproxy.Core.Routing;
using Pgproxy.TestUtilities.Scripted;

namespace Pgproxy.Core.Tests.Replication;

/// <summary>The session's reads go where the load-balancing policy says, and writes still go everywhere.</summary>
public sealed class LoadBalanceTests
{
    [Theory]
    [InlineData(0.1, 0)]
    [InlineData(0.9, 1)]
    public async Task Reads_GoToThePolicysChoice(double draw, int expectedNode)
    {
        await using var harness = new ReplicationHarness(configure: o => o with { LoadBalanceMode = true });
        harness.Runtime.LoadBalance = new LoadBalancePolicy(() => draw);
        await using var client = await harness.StartClientAsync();

        Assert.Equal(["T", "D", "C SELECT 1", "Z I"], await client.QueryAsync("SELECT 1"));

        Assert.Equal(["Q SELECT 1"], harness.SentTo(expectedNode));
        Assert.Empty(harness.SentTo(1 - expectedNode));
    }

    [Fact]
    public async Task ANodeOfWeightZero_IsNeverChosen()
    {
        await using var harness = new ReplicationHarness(configure: o => o with
        {
            LoadBalanceMode = true,
            Backends = [o.Backends[0], o.Backends[1] with { Weight = 0 }],
        });
        harness.Runtime.LoadBalance = new LoadBalancePolicy(() => 0.99);
        await using var client = await harness.StartClientAsync();

        await client.QueryAsync("SELECT 1");

        Assert.Equal(["Q SELECT 1"], harness.SentTo(0));
        Assert.Empty(harness.SentTo(1));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task SignallingABackend_RunsOnMainAlone(bool extended)
    {
        // The pid is main's: on another node it could name an unrelated backend.
        const string sql = "SELECT pg_terminate_backend(4242)";
        await using var harness = new ReplicationHarness(configure: o => o with { LoadBalanceMode = true });
        harness.Runtime.LoadBalance = new LoadBalancePolicy(() => 0.9);
        await using var client = await harness.StartClientAsync();

        if (extended)
        {
            await client.ExchangeAsync(ClientFrames.Group(sql));
        }
        else
        {
            await client.QueryAsync(sql);
        }

        Assert.Contains(harness.SentTo(0), f => f.Contains("pg_terminate_backend", StringComparison.Ordinal));
        Assert.Empty(harness.SentTo(1));
    }
}

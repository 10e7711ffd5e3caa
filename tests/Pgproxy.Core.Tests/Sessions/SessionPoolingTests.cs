using Pgproxy.TestUtilities.Scripted;

namespace Pgproxy.Core.Tests.Sessions;

public sealed class SessionPoolingTests
{
    [Fact]
    public async Task TerminateWhileIdle_SendsDiscardAllAndCachesTheBackend()
    {
        await using var harness = new ProxyHarness();
        var (client, _) = await harness.ConnectAndStartAsync();
        await using var __ = client;
        await client.SendQueryAsync("SELECT 1");
        await client.ReadUntilReadyForQueryAsync();

        await client.SendTerminateAsync();
        await client.WaitForSessionEndAsync();

        var backend = harness.Connector.Single;
        Assert.Equal(["SELECT 1", "DISCARD ALL"], backend.Queries);
        Assert.False(backend.ReceivedTerminate);
        Assert.False(backend.Closed.IsCompleted);
        Assert.Equal(1, harness.Runtime.Pool.IdleCount);
    }

    [Fact]
    public async Task TerminateInTransaction_SendsAbortBeforeDiscardAll()
    {
        await using var harness = new ProxyHarness();
        var (client, _) = await harness.ConnectAndStartAsync();
        await using var __ = client;
        await client.SendQueryAsync("BEGIN");
        var begin = await client.ReadUntilReadyForQueryAsync();
        Assert.Equal((byte)'T', begin[^1].Body[0]);

        await client.SendTerminateAsync();
        await client.WaitForSessionEndAsync();

        Assert.Equal(["BEGIN", "ABORT", "DISCARD ALL"], harness.Connector.Single.Queries);
        Assert.Equal(1, harness.Runtime.Pool.IdleCount);
    }

    [Fact]
    public async Task NextSessionWithTheSameKey_ReusesTheCachedBackend()
    {
        await using var harness = new ProxyHarness();
        var (first, _) = await harness.ConnectAndStartAsync(parameters: ("application_name", "pgbench"));
        await using (first)
        {
            await first.SendTerminateAsync();
            await first.WaitForSessionEndAsync();
        }

        var (second, startup) = await harness.ConnectAndStartAsync(parameters: ("application_name", "pgbench"));
        await using var __ = second;
        await second.SendQueryAsync("SELECT 2");
        var reply = await second.ReadUntilReadyForQueryAsync();

        Assert.Equal(1, harness.Connector.ConnectCount);
        Assert.Equal(0, harness.Runtime.Pool.IdleCount);
        Assert.Equal(["DISCARD ALL", "SELECT 2"], harness.Connector.Single.Queries);
        Assert.Equal("TDCZ", string.Concat(reply.Select(m => m.Type)));
        Assert.Equal('Z', startup[^1].Type);
    }

    [Fact]
    public async Task NextSessionWithOtherParameters_GetsANewBackend()
    {
        await using var harness = new ProxyHarness();
        var (first, _) = await harness.ConnectAndStartAsync(parameters: ("application_name", "one"));
        await using (first)
        {
            await first.SendTerminateAsync();
            await first.WaitForSessionEndAsync();
        }

        var (second, _) = await harness.ConnectAndStartAsync(parameters: ("application_name", "two"));
        await using var __ = second;

        Assert.Equal(2, harness.Connector.ConnectCount);
        Assert.Equal(1, harness.Runtime.Pool.IdleCount);
    }
}

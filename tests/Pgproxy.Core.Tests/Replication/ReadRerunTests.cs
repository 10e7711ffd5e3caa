using Pgproxy.Core.Backends;
using Pgproxy.Core.Routing;
using Pgproxy.TestUtilities.Scripted;

namespace Pgproxy.Core.Tests.Replication;

/// <summary>
/// A read load-balanced to a node that is lost under it (crashed between the health checks, taken out by a check or
/// DETACH) before it answered anything: outside a transaction it runs again on a node left, so the client sees the
/// failover only as a slower answer — by the simple protocol and by the extended one alike. A read that had begun
/// to answer cannot run again (the client has part of it) and gets 40001, as before.
/// </summary>
public sealed class ReadRerunTests
{
    private const string Read = "SELECT v FROM t";

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Autocommit_ReadOnBalancedNode_NodeLostBeforeAnswering_RunsAgainOnMain(bool extended)
    {
        await using var harness = Balanced();
        harness.Node(0).On(Read, NodeReply.Values("7"));
        harness.Node(1).On(Read, NodeReply.Vanish());
        await using var client = await harness.StartClientAsync();

        var answer = extended
            ? await client.ExchangeAsync(ClientFrames.Group(Read))
            : await client.QueryAsync(Read);

        Assert.Equal(extended ? ["1", "2", "T", "D", "C SELECT 1", "Z I"] : ["T", "D", "C SELECT 1", "Z I"],
            answer);
        Assert.Equal(BackendStatus.Down, harness.StatusOf(1));
        Assert.Contains(harness.SentTo(0), s => s.Contains(Read, StringComparison.Ordinal));
        // The session goes on as if nothing happened: the next read, the next write, on main.
        Assert.Equal(extended ? ["1", "2", "T", "D", "C SELECT 1", "Z I"] : ["T", "D", "C SELECT 1", "Z I"],
            extended ? await client.ExchangeAsync(ClientFrames.Group(Read)) : await client.QueryAsync(Read));
        Assert.Equal(["C INSERT 0 1", "Z I"], await client.QueryAsync("INSERT INTO t VALUES (1)"));
    }

    [Fact]
    public async Task Autocommit_NamedStatementParsedOnTheLostNode_IsParsedOnMainForTheRerunAndAfter()
    {
        await using var harness = Balanced();
        harness.Node(0).On(Read, NodeReply.Values("7"));
        harness.Node(1).On(Read, NodeReply.Vanish());
        await using var client = await harness.StartClientAsync();

        Assert.Equal(["1", "2", "T", "D", "C SELECT 1", "Z I"],
            await client.ExchangeAsync([.. ClientFrames.Parse("s1", Read), .. ClientFrames.Bind(statement: "s1"),
                .. ClientFrames.Describe('P'), .. ClientFrames.Execute(), .. ClientFrames.Sync()]));
        Assert.Equal(["2", "T", "D", "C SELECT 1", "Z I"],
            await client.ExchangeAsync([.. ClientFrames.Bind(statement: "s1"), .. ClientFrames.Describe('P'),
                .. ClientFrames.Execute(), .. ClientFrames.Sync()]));

        Assert.Equal(BackendStatus.Down, harness.StatusOf(1));
    }

    [Fact]
    public async Task Autocommit_ExtendedRead_NodeLostMidResult_ClientGets40001()
    {
        await using var harness = Balanced();
        harness.Node(0).On(Read, NodeReply.Values("7"));
        harness.Node(1).On(Read, NodeReply.Disconnect(rowsFirst: 1));
        await using var client = await harness.StartClientAsync();

        var answer = await client.ExchangeAsync(ClientFrames.Group(Read));

        Assert.Equal("E 40001", answer[^2]);
        Assert.Equal("Z I", answer[^1]);
        Assert.Equal(BackendStatus.Down, harness.StatusOf(1));
        Assert.Equal(["1", "2", "T", "D", "C SELECT 1", "Z I"], await client.ExchangeAsync(ClientFrames.Group(Read)));
    }

    /// <summary>Two nodes, reads balanced to node 1.</summary>
    private static ReplicationHarness Balanced()
    {
        var harness = new ReplicationHarness(configure: o => o with { LoadBalanceMode = true });
        harness.Runtime.LoadBalance = new LoadBalancePolicy(() => 0.9);
        return harness;
    }
}

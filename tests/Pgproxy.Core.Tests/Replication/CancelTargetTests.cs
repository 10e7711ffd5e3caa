using Pgproxy.Core.Routing;
using Pgproxy.Core.Sessions;
using Pgproxy.TestUtilities.Scripted;

namespace Pgproxy.Core.Tests.Replication;

/// <summary>
/// Where a client's CancelRequest goes: a read runs on one node alone, and only that node gets the cancel (each
/// one costs a node a forked process, and the client waits for every node it went to); anything else may run on
/// several nodes at once, and every node gets it.
/// </summary>
public sealed class CancelTargetTests
{
    private const string Read = "SELECT v FROM t WHERE id = 1";

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task WhileAReadRunsOnTheBalancedNode_OnlyThatNodeIsCancelled(bool extended)
    {
        await using var harness = new ReplicationHarness(configure: o => o with { LoadBalanceMode = true });
        harness.Runtime.LoadBalance = new LoadBalancePolicy(() => 0.9); // node 1
        using var hold = Hold(harness, nodeId: 1, Read);
        await using var client = await harness.StartClientAsync();
        var session = harness.Runtime.Sessions.Sessions.Single();

        var read = extended ? client.ExchangeAsync(ClientFrames.Group(Read)) : client.QueryAsync(Read);
        await hold.ReachedAsync();

        Assert.Equal([1], NodesOf(session));
        hold.Release();
        await read;
        Assert.Equal([0, 1], NodesOf(session));
    }

    [Fact]
    public async Task WhileAWriteRunsOnMain_EveryNodeIsCancelled()
    {
        const string write = "UPDATE t SET v = 1 WHERE id = 1";
        await using var harness = new ReplicationHarness(configure: o => o with { LoadBalanceMode = true });
        harness.Runtime.LoadBalance = new LoadBalancePolicy(() => 0.9);
        using var hold = Hold(harness, nodeId: 0, write);
        await using var client = await harness.StartClientAsync();
        var session = harness.Runtime.Sessions.Sessions.Single();

        var update = client.QueryAsync(write);
        await hold.ReachedAsync();

        Assert.Equal([0, 1], NodesOf(session));
        hold.Release();
        Assert.Equal(["C UPDATE 1", "Z I"], await update);
    }

    private static int[] NodesOf(ClientSession session) => [.. session.CancelBackends.Select(b => b.NodeId)];

    /// <summary>Node <paramref name="nodeId"/> stops before answering <paramref name="sql"/> until released.</summary>
    private static Gate Hold(ReplicationHarness harness, int nodeId, string sql)
    {
        var gate = new Gate();
        harness.Node(nodeId).On(s =>
        {
            if (s.Sql == sql)
            {
                gate.Reached.Release();
                gate.Released.Wait(TimeSpan.FromSeconds(10));
            }

            return false;
        }, NodeReply.Empty());
        return gate;
    }

    private sealed class Gate : IDisposable
    {
        public SemaphoreSlim Reached { get; } = new(0);

        public ManualResetEventSlim Released { get; } = new();

        public async Task ReachedAsync() => Assert.True(await Reached.WaitAsync(TimeSpan.FromSeconds(10)));

        public void Release() => Released.Set();

        public void Dispose()
        {
            Released.Set();
            Reached.Dispose();
            Released.Dispose();
        }
    }
}

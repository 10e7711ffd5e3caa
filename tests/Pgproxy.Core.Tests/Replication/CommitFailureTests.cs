using Pgproxy.Core.Backends;
using Pgproxy.Protocol.Messages;
using Pgproxy.TestUtilities.Scripted;

namespace Pgproxy.Core.Tests.Replication;

/// <summary>
/// COMMIT fails on another node while main's succeeds (a deferred constraint, a serialization failure): that node
/// no longer holds what main holds, so it is degenerated and the client is told COMMIT — for the client's own
/// COMMIT and for the internal transaction's, in both protocols.
/// </summary>
public sealed class CommitFailureTests
{
    private const string Insert = "INSERT INTO t VALUES (1)";

    [Fact]
    public async Task Simple_ExplicitCommit_FailsOnOther_DegeneratesIt_ClientGetsCommit()
    {
        await using var harness = new ReplicationHarness();
        harness.Node(1).On("COMMIT", NodeReply.Error("40001"));
        await using var client = await harness.StartClientAsync();

        await client.QueryAsync("BEGIN");
        await client.QueryAsync(Insert);
        Assert.Equal(["C COMMIT", "Z I"], await client.QueryAsync("COMMIT"));

        Assert.True(harness.IndexOf(1, "Q COMMIT") < harness.IndexOf(0, "Q COMMIT"));
        Assert.Equal(BackendStatus.Up, harness.StatusOf(0));
        Assert.Equal(BackendStatus.Down, harness.StatusOf(1));
        Assert.Equal(TransactionStatus.Idle, harness.Connection(0).Status);
    }

    [Fact]
    public async Task Simple_Autocommit_InternalCommitFailsOnOther_DegeneratesIt_ClientGetsTheResult()
    {
        await using var harness = new ReplicationHarness();
        harness.Node(1).On("COMMIT", NodeReply.Error("23503"));
        await using var client = await harness.StartClientAsync();

        Assert.Equal(["C INSERT 0 1", "Z I"], await client.QueryAsync(Insert));

        Assert.Equal(["Q BEGIN", "Q " + Insert, "Q COMMIT"], harness.SentTo(0));
        Assert.Equal(["Q BEGIN", "Q " + Insert, "Q COMMIT"], harness.SentTo(1));
        Assert.Equal(BackendStatus.Down, harness.StatusOf(1));
        Assert.Equal(["C INSERT 0 1", "Z I"], await client.QueryAsync(Insert)); // main alone from now on
        Assert.Equal(3, harness.SentTo(1).Count);
    }

    [Fact]
    public async Task Extended_ExplicitCommit_FailsOnOther_DegeneratesIt_ClientGetsCommit()
    {
        await using var harness = new ReplicationHarness();
        harness.Node(1).On("COMMIT", NodeReply.Error("40001"));
        await using var client = await harness.StartClientAsync();

        await client.ExchangeAsync(ClientFrames.Group("BEGIN")); // on every node at once
        await client.ExchangeAsync(ClientFrames.Group(Insert));
        Assert.Equal(["1", "2", "n", "C COMMIT", "Z I"], await client.ExchangeAsync(ClientFrames.Group("COMMIT")));

        Assert.True(harness.IndexOf(1, "P :COMMIT") < harness.IndexOf(0, "P :COMMIT"));
        Assert.Equal(BackendStatus.Down, harness.StatusOf(1));
        Assert.Equal(TransactionStatus.Idle, harness.Connection(0).Status);
    }

    [Fact]
    public async Task Extended_Autocommit_InternalCommitFailsOnOther_DegeneratesIt_ClientGetsTheResult()
    {
        await using var harness = new ReplicationHarness();
        harness.Node(1).On("COMMIT", NodeReply.Error("23503"));
        await using var client = await harness.StartClientAsync();

        Assert.Equal(["1", "2", "n", "C INSERT 0 1", "Z I"], await client.ExchangeAsync(ClientFrames.Group(Insert)));

        Assert.Equal("Q COMMIT", harness.SentTo(0)[^1]);
        Assert.Equal("Q COMMIT", harness.SentTo(1)[^1]);
        Assert.Equal(BackendStatus.Down, harness.StatusOf(1));
    }

    [Fact]
    public async Task Simple_ThreeNodes_CommitFailsOnOneOther_OnlyItIsDegenerated()
    {
        await using var harness = new ReplicationHarness(3);
        harness.Node(2).On("COMMIT", NodeReply.Error("40001"));
        await using var client = await harness.StartClientAsync();

        await client.QueryAsync("BEGIN");
        await client.QueryAsync(Insert);
        Assert.Equal(["C COMMIT", "Z I"], await client.QueryAsync("COMMIT"));

        Assert.Equal(BackendStatus.Up, harness.StatusOf(1));
        Assert.Equal(BackendStatus.Down, harness.StatusOf(2));
        Assert.Equal(TransactionStatus.Idle, harness.Connection(1).Status);
    }
}

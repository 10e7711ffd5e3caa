using Pgproxy.Core.Backends;
using Pgproxy.Protocol.Messages;
using Pgproxy.TestUtilities.Scripted;

namespace Pgproxy.Core.Tests.Replication;

/// <summary>
/// A statement fails on one node only (DESIGN §3.4). Only on another node: that node diverged — degenerated with
/// <c>replication_stop_on_mismatch</c>, else the statement fails everywhere. Only on main: the client gets main's
/// error, the others never see the statement, and the nodes' transactions stay in step.
/// </summary>
public sealed class NodeErrorTests
{
    private const string Insert = "INSERT INTO t VALUES (1)";
    private const string Insert2 = "INSERT INTO t VALUES (2)";

    [Fact]
    public async Task Simple_Autocommit_ErrorOnlyOnOther_FailsTheStatement_RollsBackEveryNode()
    {
        await using var harness = new ReplicationHarness();
        harness.Node(1).On(Insert, NodeReply.Error("23505"));
        await using var client = await harness.StartClientAsync();

        var replies = await client.QueryAsync(Insert);

        Assert.Equal(["E XX001", "Z I"], replies.TakeLast(2));
        Assert.Equal(["Q BEGIN", "Q " + Insert, "Q ROLLBACK"], harness.SentTo(0));
        Assert.Equal(["Q BEGIN", "Q " + Insert, "Q ROLLBACK"], harness.SentTo(1));
        Assert.Equal(BackendStatus.Up, harness.StatusOf(1));
    }

    [Fact]
    public async Task Simple_Autocommit_ErrorOnlyOnOtherWithStopOnMismatch_DegeneratesIt_MainCommits()
    {
        await using var harness = new ReplicationHarness(configure: o => o with { ReplicationStopOnMismatch = true });
        harness.Node(1).On(Insert, NodeReply.Error("23505"));
        await using var client = await harness.StartClientAsync();

        Assert.Equal(["C INSERT 0 1", "Z I"], await client.QueryAsync(Insert));

        Assert.Equal(["Q BEGIN", "Q " + Insert, "Q COMMIT"], harness.SentTo(0));
        Assert.Equal(["Q BEGIN", "Q " + Insert], harness.SentTo(1));
        Assert.Equal(BackendStatus.Down, harness.StatusOf(1));
    }

    [Fact]
    public async Task Extended_Autocommit_ErrorOnlyOnOtherWithStopOnMismatch_DegeneratesIt_MainCommits()
    {
        await using var harness = new ReplicationHarness(configure: o => o with { ReplicationStopOnMismatch = true });
        harness.Node(1).On(Insert, NodeReply.Error("23505"));
        await using var client = await harness.StartClientAsync();

        Assert.Equal(["1", "2", "n", "C INSERT 0 1", "Z I"], await client.ExchangeAsync(ClientFrames.Group(Insert)));

        Assert.Equal("Q COMMIT", harness.SentTo(0)[^1]);
        Assert.DoesNotContain("Q COMMIT", harness.SentTo(1));
        Assert.Equal(BackendStatus.Down, harness.StatusOf(1));
    }

    [Fact]
    public async Task Extended_Autocommit_ErrorOnlyOnOther_FailsTheStatement_RollsBackEveryNode()
    {
        await using var harness = new ReplicationHarness();
        harness.Node(1).On(Insert, NodeReply.Error("23505"));
        await using var client = await harness.StartClientAsync();

        var replies = await client.ExchangeAsync(ClientFrames.Group(Insert));

        Assert.Equal(["E XX001", "Z I"], replies.TakeLast(2));
        Assert.Equal("Q ROLLBACK", harness.SentTo(0)[^1]);
        Assert.Equal("Q ROLLBACK", harness.SentTo(1)[^1]);
        Assert.Equal(BackendStatus.Up, harness.StatusOf(1));
    }

    [Fact]
    public async Task Simple_InTransaction_ErrorOnlyOnOtherWithStopOnMismatch_IsFoundAtCommit_MainCommitsAlone()
    {
        await using var harness = new ReplicationHarness(configure: o => o with { ReplicationStopOnMismatch = true });
        harness.Node(1).On(Insert, NodeReply.Error("23505"));
        await using var client = await harness.StartClientAsync();

        await client.QueryAsync("BEGIN");
        Assert.Equal(["C INSERT 0 1", "Z T"], await client.QueryAsync(Insert));
        Assert.Equal(["C COMMIT", "Z I"], await client.QueryAsync("COMMIT"));

        Assert.Equal(["Q BEGIN", "Q " + Insert, "Q COMMIT"], harness.SentTo(0));
        Assert.Equal([SentFrame.Script("BEGIN", Insert)], harness.SentTo(1));
        Assert.Equal(BackendStatus.Down, harness.StatusOf(1));
    }

    [Fact]
    // Since issue 16 item 1 the others run what main refused (it may have drawn a sequence), then roll back.
    public async Task Simple_Autocommit_ErrorOnlyOnMain_ClientGetsIt_OthersRunItAndRollBack()
    {
        await using var harness = new ReplicationHarness();
        harness.Node(0).On(Insert, NodeReply.Error("23505"));
        await using var client = await harness.StartClientAsync();

        Assert.Equal(["E 23505", "Z I"], await client.QueryAsync(Insert));

        Assert.Equal(["Q BEGIN", "Q " + Insert, "Q ROLLBACK"], harness.SentTo(0));
        Assert.Equal(["Q BEGIN", "Q " + Insert, "Q ROLLBACK"], harness.SentTo(1));
        Assert.Equal(BackendStatus.Up, harness.StatusOf(0));
        Assert.Equal(BackendStatus.Up, harness.StatusOf(1));
    }

    [Fact]
    public async Task Extended_Autocommit_ErrorOnlyOnMain_ClientGetsIt_OthersRunItAndRollBack()
    {
        await using var harness = new ReplicationHarness();
        harness.Node(0).On(Insert, NodeReply.Error("23505"));
        await using var client = await harness.StartClientAsync();

        Assert.Equal(["1", "2", "n", "E 23505", "Z I"], await client.ExchangeAsync(ClientFrames.Group(Insert)));

        Assert.Equal(["Q BEGIN", "P :" + Insert, "B :", "D P", "E ", "S", "Q ROLLBACK"], harness.SentTo(0));
        Assert.Equal(["Q BEGIN", "P :" + Insert, "B :", "D P", "E ", "S", "Q ROLLBACK"], harness.SentTo(1));
        Assert.Equal(BackendStatus.Up, harness.StatusOf(1));
    }

    [Fact]
    public async Task Simple_InTransaction_ErrorOnlyOnMain_CommitRollsBackTheOthersFirst()
    {
        await using var harness = new ReplicationHarness();
        harness.Node(0).On(Insert2, NodeReply.Error("23505"));
        await using var client = await harness.StartClientAsync();

        await client.QueryAsync("BEGIN");
        Assert.Equal(["C INSERT 0 1", "Z T"], await client.QueryAsync(Insert));
        Assert.Equal(["E 23505", "Z E"], await client.QueryAsync(Insert2));
        Assert.Equal(["E 25P02", "Z E"], await client.QueryAsync("SELECT 1"));
        Assert.Equal(["C ROLLBACK", "Z I"], await client.QueryAsync("COMMIT"));

        Assert.Equal(["Q BEGIN", "Q " + Insert, "Q " + Insert2, "Q SELECT 1", "Q COMMIT"], harness.SentTo(0));
        Assert.Equal([SentFrame.Script("BEGIN", Insert), "Q " + Insert2, "Q ROLLBACK"], harness.SentTo(1));
        Assert.True(harness.IndexOf(1, "Q ROLLBACK") < harness.IndexOf(0, "Q COMMIT"));
        Assert.Equal(TransactionStatus.Idle, harness.Connection(1).Status);
        Assert.Equal(BackendStatus.Up, harness.StatusOf(1));
    }

    [Fact]
    public async Task Extended_InTransaction_ErrorOnlyOnMain_CommitRollsBackTheOthers()
    {
        await using var harness = new ReplicationHarness();
        harness.Node(0).On(Insert2, NodeReply.Error("23505"));
        await using var client = await harness.StartClientAsync();

        await client.ExchangeAsync(ClientFrames.Group("BEGIN")); // on every node at once
        Assert.Equal(["1", "2", "n", "C INSERT 0 1", "Z T"], await client.ExchangeAsync(ClientFrames.Group(Insert)));
        Assert.Equal(["1", "2", "n", "E 23505", "Z E"], await client.ExchangeAsync(ClientFrames.Group(Insert2)));
        Assert.Equal(["1", "2", "n", "C ROLLBACK", "Z I"], await client.ExchangeAsync(ClientFrames.Group("COMMIT")));

        Assert.Contains("P :" + Insert2, harness.SentTo(1));
        Assert.DoesNotContain("P :COMMIT", harness.SentTo(1));
        Assert.Equal("Q ROLLBACK", harness.SentTo(1)[^1]);
        Assert.True(harness.IndexOf(1, "Q ROLLBACK") < harness.IndexOf(0, "P :COMMIT"));
        Assert.Equal(TransactionStatus.Idle, harness.Connection(1).Status);
        Assert.Equal(BackendStatus.Up, harness.StatusOf(1));
    }

    [Fact]
    public async Task Simple_ThreeNodes_ErrorOnlyOnTheMiddleNodeWithStopOnMismatch_DegeneratesOnlyIt()
    {
        await using var harness = new ReplicationHarness(3, o => o with { ReplicationStopOnMismatch = true });
        harness.Node(1).On(Insert, NodeReply.Error("23505"));
        await using var client = await harness.StartClientAsync();

        Assert.Equal(["C INSERT 0 1", "Z I"], await client.QueryAsync(Insert));

        Assert.Equal(["Q BEGIN", "Q " + Insert, "Q COMMIT"], harness.SentTo(2));
        Assert.Equal(BackendStatus.Down, harness.StatusOf(1));
        Assert.Equal(BackendStatus.Up, harness.StatusOf(2));
    }
}

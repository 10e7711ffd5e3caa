using Pgproxy.Core.Backends;
using Pgproxy.Protocol.Messages;
using Pgproxy.TestUtilities.Scripted;

namespace Pgproxy.Core.Tests.Replication;

/// <summary>
/// COPY FROM STDIN that main starts and another node refuses (DESIGN §3.6): the data still streams to every node
/// that is in copy-in; the refusing node's answer differs from main's, which is a divergence like any other.
/// </summary>
public sealed class CopyRefusedTests
{
    private const string Copy = "COPY t FROM STDIN";

    private static byte[] Data => [.. ClientFrames.CopyData("1\n2\n"), .. ClientFrames.CopyDone()];

    [Fact]
    public async Task Simple_Autocommit_CopyRefusedByOther_FailsTheCopy_RollsBackEveryNode()
    {
        await using var harness = new ReplicationHarness();
        harness.Node(1).On(Copy, NodeReply.Error("42P01"));
        await using var client = await harness.StartClientAsync();

        Assert.Equal(["G"], await client.ExchangeUntilAsync(ClientFrames.Query(Copy), 'G'));
        var replies = await client.ExchangeAsync(Data);

        Assert.Equal(["E XX001", "Z I"], replies.TakeLast(2));
        Assert.Equal(["Q BEGIN", "Q " + Copy, "d", "c", "Q ROLLBACK"], harness.SentTo(0));
        Assert.Equal(["Q BEGIN", "Q " + Copy, "d", "c", "Q ROLLBACK"], harness.SentTo(1));
        Assert.True(harness.IndexOf(0, "Q " + Copy) < harness.IndexOf(1, "Q BEGIN"));
        Assert.Equal(BackendStatus.Up, harness.StatusOf(1));
    }

    [Fact]
    public async Task Simple_Autocommit_CopyRefusedByOtherWithStopOnMismatch_DegeneratesIt_MainCommits()
    {
        await using var harness = new ReplicationHarness(configure: o => o with { ReplicationStopOnMismatch = true });
        harness.Node(1).On(Copy, NodeReply.Error("42P01"));
        await using var client = await harness.StartClientAsync();

        Assert.Equal(["G"], await client.ExchangeUntilAsync(ClientFrames.Query(Copy), 'G'));
        Assert.Equal(["C COPY 2", "Z I"], await client.ExchangeAsync(Data));

        Assert.Equal(["Q BEGIN", "Q " + Copy, "d", "c", "Q COMMIT"], harness.SentTo(0));
        Assert.DoesNotContain("Q COMMIT", harness.SentTo(1));
        Assert.Equal(BackendStatus.Down, harness.StatusOf(1));
    }

    [Fact]
    public async Task Simple_InTransaction_CopyRefusedByOtherWithStopOnMismatch_DegeneratesIt_CommitOnMainAlone()
    {
        await using var harness = new ReplicationHarness(configure: o => o with { ReplicationStopOnMismatch = true });
        harness.Node(1).On(Copy, NodeReply.Error("42P01"));
        await using var client = await harness.StartClientAsync();

        await client.QueryAsync("BEGIN");
        Assert.Equal(["G"], await client.ExchangeUntilAsync(ClientFrames.Query(Copy), 'G'));
        Assert.Equal(["C COPY 2", "Z T"], await client.ExchangeAsync(Data));
        Assert.Equal(["C COMMIT", "Z I"], await client.QueryAsync("COMMIT"));

        Assert.Equal(["Q BEGIN", "Q " + Copy, "d", "c", "Q COMMIT"], harness.SentTo(0));
        Assert.Equal(["Q BEGIN", "Q " + Copy, "d", "c"], harness.SentTo(1));
        Assert.Equal(BackendStatus.Down, harness.StatusOf(1));
    }

    [Fact]
    public async Task Extended_Autocommit_CopyRefusedByOther_DegeneratesIt_MainCommits()
    {
        await using var harness = new ReplicationHarness();
        harness.Node(1).On(Copy, NodeReply.Error("42P01"));
        await using var client = await harness.StartClientAsync();

        Assert.Equal(["1", "2", "n", "G"], await client.ExchangeUntilAsync(ClientFrames.Group(Copy), 'G'));
        Assert.Equal(["C COPY 2", "Z I"], await client.ExchangeAsync([.. Data, .. ClientFrames.Sync()]));

        Assert.Equal(["Q BEGIN", "P :" + Copy, "B :", "D P", "E ", "S"], harness.SentTo(1));
        Assert.Equal(BackendStatus.Down, harness.StatusOf(1));
        Assert.Contains("Q COMMIT", harness.SentTo(0));
        Assert.Equal(TransactionStatus.Idle, harness.Connection(0).Status);
    }

    [Fact]
    public async Task Extended_InTransaction_CopyRefusedByOther_DegeneratesIt_CommitOnMainAlone()
    {
        await using var harness = new ReplicationHarness();
        harness.Node(1).On(Copy, NodeReply.Error("42P01"));
        await using var client = await harness.StartClientAsync();

        await client.QueryAsync("BEGIN");
        Assert.Equal(["1", "2", "n", "G"], await client.ExchangeUntilAsync(ClientFrames.Group(Copy), 'G'));
        Assert.Equal(["C COPY 2", "Z T"], await client.ExchangeAsync([.. Data, .. ClientFrames.Sync()]));
        Assert.Equal(["C COMMIT", "Z I"], await client.QueryAsync("COMMIT"));

        Assert.Equal(BackendStatus.Down, harness.StatusOf(1));
        Assert.Equal("Q COMMIT", harness.SentTo(0)[^1]);
        Assert.DoesNotContain("Q COMMIT", harness.SentTo(1));
    }

    [Fact]
    public async Task Simple_Autocommit_CopyOnEveryNode_DataStreamsToAll_CommitOthersFirst()
    {
        await using var harness = new ReplicationHarness(3);
        await using var client = await harness.StartClientAsync();

        Assert.Equal(["G"], await client.ExchangeUntilAsync(ClientFrames.Query(Copy), 'G'));
        Assert.Equal(["C COPY 2", "Z I"], await client.ExchangeAsync(Data));

        for (var node = 0; node < 3; node++)
        {
            Assert.Equal(["Q BEGIN", "Q " + Copy, "d", "c", "Q COMMIT"], harness.SentTo(node));
        }

        Assert.True(harness.IndexOf(2, "Q COMMIT") < harness.IndexOf(0, "Q COMMIT"));
    }

    [Fact]
    public async Task Extended_InTransaction_CopyRowCountMismatch_OneAnswer_FailsTheTransactionOnEveryNode()
    {
        await using var harness = new ReplicationHarness();
        harness.Node(1).On(Copy, NodeReply.CopyIn(extraRows: 1));
        await using var client = await harness.StartClientAsync();

        await client.QueryAsync("BEGIN");
        Assert.Equal(["1", "2", "n", "G"], await client.ExchangeUntilAsync(ClientFrames.Group(Copy), 'G'));
        // main's "COPY 2" is held for the comparison: the client hears the error alone, not the tag and then it
        Assert.Equal(["E XX001", "Z E"], await client.ExchangeAsync([.. Data, .. ClientFrames.Sync()]));
        Assert.Equal(["C ROLLBACK", "Z I"], await client.QueryAsync("COMMIT"));

        Assert.DoesNotContain("Q COMMIT", harness.SentTo(1));
        Assert.Equal(BackendStatus.Up, harness.StatusOf(1));
        Assert.Equal(TransactionStatus.Idle, harness.Connection(0).Status);
        Assert.Equal(TransactionStatus.Idle, harness.Connection(1).Status);
    }

    [Fact]
    public async Task Extended_Autocommit_CopyRowCountMismatch_RollsBackEveryNode()
    {
        await using var harness = new ReplicationHarness();
        harness.Node(1).On(Copy, NodeReply.CopyIn(extraRows: 1));
        await using var client = await harness.StartClientAsync();

        Assert.Equal(["1", "2", "n", "G"], await client.ExchangeUntilAsync(ClientFrames.Group(Copy), 'G'));
        Assert.Equal(["E XX001", "Z I"], await client.ExchangeAsync([.. Data, .. ClientFrames.Sync()]));

        for (var node = 0; node < 2; node++)
        {
            Assert.Contains("Q ROLLBACK", harness.SentTo(node));
            Assert.DoesNotContain("Q COMMIT", harness.SentTo(node));
            Assert.Equal(TransactionStatus.Idle, harness.Connection(node).Status);
        }

        Assert.Equal(BackendStatus.Up, harness.StatusOf(1));
    }
}

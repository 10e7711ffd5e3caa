using Pgproxy.Protocol.Messages;
using Pgproxy.TestUtilities.Scripted;

namespace Pgproxy.Core.Tests.Replication;

/// <summary>
/// After an error answers a Flush-ended group, PostgreSQL skips what the client sends up to its Sync (and answers
/// none of it). The session must skip it too: a node that is skipping would never answer, and a session waiting on
/// it would outlive its client (the TCP fuzzer's "no close after the client's end of stream").
/// </summary>
public sealed class SkipToSyncTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    [Theory]
    [InlineData("SELECT 1/0", "22012")] // a read, on one node
    [InlineData("INSERT INTO t VALUES (1)", "23505")] // a write main refuses
    public async Task ErrorInFlushEndedGroup_LaterMessagesSkippedUntilSync_ThenReady(string sql, string sqlState)
    {
        await using var harness = new ReplicationHarness();
        harness.Node(0).On(sql, NodeReply.Error(sqlState));
        harness.Node(1).On(sql, NodeReply.Error(sqlState));
        await using var client = await harness.StartClientAsync();

        var failed = await client.ExchangeUntilAsync([.. ClientFrames.Statement(sql), .. ClientFrames.Flush()], 'E')
            .WaitAsync(Bound);
        Assert.Equal("E " + sqlState, failed[^1]);

        // PostgreSQL answers nothing of this (it skips to the Sync): only the Sync's ReadyForQuery comes.
        await client.SendAsync((byte[])[.. ClientFrames.Statement("SELECT 2"), .. ClientFrames.Flush()]);
        Assert.Equal(["Z I"], await client.ExchangeAsync(ClientFrames.Sync()).WaitAsync(Bound));
        Assert.Equal(["C SELECT 1", "Z I"], (await client.QueryAsync("SELECT 3").WaitAsync(Bound)).TakeLast(2));
        Assert.Equal(TransactionStatus.Idle, harness.Connection(0).Status);
    }

    [Fact]
    public async Task ErrorInFlushEndedGroup_ClientLeavesBeforeSync_SessionEnds()
    {
        await using var harness = new ReplicationHarness();
        harness.Node(0).On("SELECT 1/0", NodeReply.Error("22012"));
        harness.Node(1).On("SELECT 1/0", NodeReply.Error("22012"));
        var client = await harness.StartClientAsync();

        await client.ExchangeUntilAsync([.. ClientFrames.Statement("SELECT 1/0"), .. ClientFrames.Flush()], 'E')
            .WaitAsync(Bound);
        await client.SendAsync((byte[])[.. ClientFrames.Statement("SELECT 2"), .. ClientFrames.Flush()]);
        await client.DisposeAsync(); // end of stream, no Terminate

        await client.Session.WaitAsync(Bound); // the session ends with its client
    }
}

using Pgproxy.Core.Backends;
using Pgproxy.Core.Replication;
using Pgproxy.Protocol.Messages;
using Pgproxy.TestUtilities.Scripted;

namespace Pgproxy.Core.Tests.Replication;

/// <summary>
/// An autocommit write that reads rows besides those it changes runs in an internal REPEATABLE READ transaction
/// whose snapshot every node takes at one point, behind the write gate (WritePath.ShareWriteSnapshotAsync); a 40001
/// there (a row changed since the snapshot) makes it run again on a new one. Through two real nodes the same
/// write under READ COMMITTED changed other rows on each node when a commit was in flight between them.
/// </summary>
public sealed class WriteSnapshotTests
{
    private const string Reading = "UPDATE q SET n = n + 1 WHERE id IN (SELECT id FROM r)";
    private const string BeginRr = "Q BEGIN ISOLATION LEVEL REPEATABLE READ";

    [Fact]
    public async Task AReadingAutocommitWrite_BeginsRepeatableReadAndTakesItsSnapshotOnEveryNodeFirst()
    {
        await using var harness = new ReplicationHarness();
        await using var client = await harness.StartClientAsync();

        Assert.Equal(["C UPDATE 1", "Z I"], await client.QueryAsync(Reading));

        Assert.Equal([BeginRr, "Q SELECT 1", "Q " + Reading, "Q COMMIT"], harness.SentTo(1));
        Assert.Equal([BeginRr, "Q SELECT 1"], harness.SentTo(0).Take(2));
        Assert.Equal("Q COMMIT", harness.SentTo(0)[^1]);
        Assert.DoesNotContain("Q BEGIN", harness.SentTo(0));
    }

    [Fact]
    public async Task AnExtendedProtocolGroup_SharesTheSnapshotToo_AndRunsAgainAfter40001()
    {
        await using var harness = new ReplicationHarness();
        harness.Node(0).On(Reading, NodeReply.Error("40001", "could not serialize access due to concurrent update"),
            times: 1);
        await using var client = await harness.StartClientAsync();

        Assert.Equal(["1", "2", "n", "C UPDATE 1", "Z I"], await client.ExchangeAsync(ClientFrames.Group(Reading)));

        Assert.Equal(2, harness.SentTo(1).Count(f => f == BeginRr));
        Assert.Equal("Q COMMIT", harness.SentTo(1)[^1]);
        Assert.DoesNotContain("Q BEGIN", harness.SentTo(1));
    }

    [Fact]
    public async Task APlainAutocommitWrite_KeepsReadCommitted()
    {
        await using var harness = new ReplicationHarness();
        await using var client = await harness.StartClientAsync();

        await client.QueryAsync("UPDATE q SET n = 1 WHERE id = 5");

        Assert.Equal(["Q BEGIN", "Q UPDATE q SET n = 1 WHERE id = 5", "Q COMMIT"], harness.SentTo(1));
    }

    [Fact]
    public async Task InTheClientsTransaction_TheClientsIsolationStands()
    {
        await using var harness = new ReplicationHarness();
        await using var client = await harness.StartClientAsync();

        await client.QueryAsync("BEGIN");
        await client.QueryAsync(Reading);
        await client.QueryAsync("COMMIT");

        Assert.DoesNotContain(BeginRr, harness.SentTo(0));
        Assert.DoesNotContain(BeginRr, harness.SentTo(1));
    }

    [Fact]
    public async Task ASerializationFailureOnMain_RunsAgainOnANewSnapshot_TheClientHearsOnce()
    {
        await using var harness = new ReplicationHarness();
        harness.Node(0).On(Reading, NodeReply.Error("40001", "could not serialize access due to concurrent update"),
            times: 1);
        await using var client = await harness.StartClientAsync();

        Assert.Equal(["C UPDATE 1", "Z I"], await client.QueryAsync(Reading));

        Assert.Equal([BeginRr, "Q SELECT 1", "Q ROLLBACK", BeginRr, "Q SELECT 1", "Q " + Reading, "Q COMMIT"],
            harness.SentTo(1));
        Assert.Equal(2, harness.SentTo(0).Count(f => f == "Q " + Reading));
        Assert.Equal(1, harness.Runtime.Reruns.SerializationRanAgain);
    }

    [Fact]
    public async Task ASerializationFailureOnAnotherNode_RunsAgainOnANewSnapshot_TheClientHearsOnce()
    {
        await using var harness = new ReplicationHarness(configure: o => o with { ReplicationStopOnMismatch = true });
        harness.Node(1).On(Reading, NodeReply.Error("40001", "could not serialize access due to concurrent update"),
            times: 1);
        await using var client = await harness.StartClientAsync();

        Assert.Equal(["C UPDATE 1", "Z I"], await client.QueryAsync(Reading));

        Assert.Equal([BeginRr, "Q SELECT 1", "Q " + Reading, "Q ROLLBACK", BeginRr, "Q SELECT 1", "Q " + Reading,
            "Q COMMIT"], harness.SentTo(1));
        Assert.Equal(2, harness.SentTo(0).Count(f => f == "Q " + Reading));
        Assert.Equal(1, harness.Runtime.Reruns.SerializationRanAgain);
        Assert.Equal(BackendStatus.Up, harness.StatusOf(1));
    }

    [Fact]
    public async Task ACancelLandingOnAnotherNodesSnapshot_FailsTheWriteWithIt_TheNodeStays()
    {
        // The cancel fails node 1's transaction at pgproxy's SELECT 1; the write then finds it aborted (25P02).
        await using var harness = new ReplicationHarness(configure: o => o with { ReplicationStopOnMismatch = true });
        harness.Node(1).On("SELECT 1", NodeReply.Error("57014", "canceling statement due to user request"), times: 1);
        await using var client = await harness.StartClientAsync();

        Assert.Equal(["E 57014", "Z I"], await client.QueryAsync(Reading));

        Assert.Equal("Q ROLLBACK", harness.SentTo(0)[^1]);
        Assert.Equal("Q ROLLBACK", harness.SentTo(1)[^1]);
        Assert.Equal(BackendStatus.Up, harness.StatusOf(1));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public async Task ACancelLandingOnANodesBegin_FailsTheWriteWithIt_AndNoNodeRunsIt(int node)
    {
        // That node stays outside any transaction: the write would have committed there at once, alone (main: measured
        // through two real nodes with a cancelling client, node 1 then held another row changed).
        await using var harness = new ReplicationHarness();
        harness.Node(node).On(BeginRr[2..], NodeReply.Error("57014", "canceling statement due to user request"), times: 1);
        await using var client = await harness.StartClientAsync();

        Assert.Equal(["E 57014", "Z I"], await client.QueryAsync(Reading));

        Assert.DoesNotContain("Q " + Reading, harness.SentTo(0));
        Assert.DoesNotContain("Q " + Reading, harness.SentTo(1));
        Assert.Equal("Q ROLLBACK", harness.SentTo(1 - node)[^1]);
        Assert.Equal(["T", "D", "C", "Z"], (await client.QueryAsync("SELECT 1")).Select(m => m[..1]));
    }

    [Fact]
    public async Task SerializationFailuresInEveryRun_TheClientGets40001_AndNoNodeStaysInATransaction()
    {
        await using var harness = new ReplicationHarness();
        harness.Node(0).On(Reading, NodeReply.Error("40001", "could not serialize access due to concurrent update"));
        await using var client = await harness.StartClientAsync();

        var replies = await client.QueryAsync(Reading);

        Assert.Equal(["E 40001", "Z I"], replies.TakeLast(2));
        Assert.Equal(WritePath.MaxSerializationRuns, harness.SentTo(0).Count(f => f == "Q " + Reading));
        Assert.Equal(WritePath.MaxSerializationRuns - 1, harness.Runtime.Reruns.SerializationRanAgain);
        Assert.Equal("Q ROLLBACK", harness.SentTo(0)[^1]);
        Assert.Equal("Q ROLLBACK", harness.SentTo(1)[^1]);
        Assert.Equal(TransactionStatus.Idle, harness.Connection(0).Status);
        Assert.Equal(TransactionStatus.Idle, harness.Connection(1).Status);

        // The next write begins on its own, as usual.
        Assert.Equal(["C UPDATE 1", "Z I"], await client.QueryAsync("UPDATE q SET n = 1 WHERE id = 5"));
        Assert.Equal(["Q BEGIN", "Q UPDATE q SET n = 1 WHERE id = 5", "Q COMMIT"], harness.SentTo(1).TakeLast(3));
    }

    [Fact]
    public async Task AnotherErrorOnMain_EndsTheSharedTransactionOnEveryNode()
    {
        await using var harness = new ReplicationHarness();
        harness.Node(0).On(Reading, NodeReply.Error("23505", "duplicate key value"), times: 1);
        await using var client = await harness.StartClientAsync();

        Assert.Equal(["E 23505", "Z I"], (await client.QueryAsync(Reading)).TakeLast(2));

        Assert.Equal("Q ROLLBACK", harness.SentTo(1)[^1]);
        Assert.Equal(TransactionStatus.Idle, harness.Connection(1).Status);
    }
}

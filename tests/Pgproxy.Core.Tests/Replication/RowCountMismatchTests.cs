using Pgproxy.Core.Backends;
using Pgproxy.Protocol.Messages;
using Pgproxy.TestUtilities.Scripted;

namespace Pgproxy.Core.Tests.Replication;

/// <summary>
/// Another node reports a different number of affected rows than main (DESIGN §3.4): with
/// <c>failover_if_affected_tuples_mismatch</c> the node is degenerated and the client gets main's result; without it
/// the statement fails everywhere alike and every node stays. An autocommit write runs up to three times before
/// either happens (RowCountRerunTests): a node whose rows differ answers alike each time.
/// </summary>
public sealed class RowCountMismatchTests
{
    private const string Update = "UPDATE t SET v = 1";

    /// <summary>What a node is sent for an autocommit write that ran <paramref name="runs"/> times, ended so.</summary>
    private static string[] Runs(int runs, params string[] last) =>
        [.. Enumerable.Repeat<string[]>(["Q BEGIN", "Q " + Update, "Q ROLLBACK"], runs - 1).SelectMany(r => r),
         "Q BEGIN", "Q " + Update, .. last];

    [Fact]
    public async Task Simple_Autocommit_MismatchFailsTheStatement_RollsBackEveryNode()
    {
        await using var harness = new ReplicationHarness();
        harness.Node(1).On(Update, NodeReply.Command("UPDATE 2"));
        await using var client = await harness.StartClientAsync();

        var replies = await client.QueryAsync(Update);

        Assert.Equal(["E XX001", "Z I"], replies.TakeLast(2));
        Assert.Equal(Runs(3, "Q ROLLBACK"), harness.SentTo(0));
        Assert.Equal(Runs(3, "Q ROLLBACK"), harness.SentTo(1));
        Assert.True(harness.IndexOf(1, "Q ROLLBACK") < harness.IndexOf(0, "Q ROLLBACK"));
        Assert.Equal(BackendStatus.Up, harness.StatusOf(0));
        Assert.Equal(BackendStatus.Up, harness.StatusOf(1));
    }

    [Fact]
    public async Task Simple_Autocommit_MismatchFailsTheStatement_OneAnswerOnly()
    {
        await using var harness = new ReplicationHarness();
        harness.Node(1).On(Update, NodeReply.Command("UPDATE 2"));
        await using var client = await harness.StartClientAsync();

        Assert.Equal(["E XX001", "Z I"], await client.QueryAsync(Update));
    }

    [Fact]
    public async Task Simple_Autocommit_MismatchWithFailoverIfAffectedTuplesMismatch_DegeneratesTheOther()
    {
        await using var harness = new ReplicationHarness(configure: o => o with { FailoverIfAffectedTuplesMismatch = true });
        harness.Node(1).On(Update, NodeReply.Command("UPDATE 2"));
        await using var client = await harness.StartClientAsync();

        Assert.Equal(["C UPDATE 1", "Z I"], await client.QueryAsync(Update));

        Assert.Equal(Runs(3, "Q COMMIT"), harness.SentTo(0));
        Assert.Equal(Runs(3), harness.SentTo(1));
        Assert.Equal(BackendStatus.Up, harness.StatusOf(0));
        Assert.Equal(BackendStatus.Down, harness.StatusOf(1));
        Assert.Equal(["C UPDATE 1", "Z I"], await client.QueryAsync(Update)); // the session goes on without it
        Assert.Equal(Runs(3), harness.SentTo(1));
    }

    [Fact]
    public async Task Simple_InTransaction_MismatchIsFoundAtCommit_FailsTheTransactionOnEveryNode()
    {
        await using var harness = new ReplicationHarness();
        harness.Node(1).On(Update, NodeReply.Command("UPDATE 2"));
        await using var client = await harness.StartClientAsync();

        await client.QueryAsync("BEGIN");
        Assert.Equal(["C UPDATE 1", "Z T"], await client.QueryAsync(Update)); // the others' answers are read later
        Assert.Equal(["E XX001", "Z E"], await client.QueryAsync("COMMIT"));
        Assert.Equal(["C ROLLBACK", "Z I"], await client.QueryAsync("ROLLBACK"));

        Assert.DoesNotContain("Q COMMIT", harness.SentTo(0));
        Assert.DoesNotContain("Q COMMIT", harness.SentTo(1));
        Assert.Equal("Q ROLLBACK", harness.SentTo(0)[^1]);
        Assert.Equal("Q ROLLBACK", harness.SentTo(1)[^1]);
        Assert.Equal(BackendStatus.Up, harness.StatusOf(1));
        Assert.Equal(TransactionStatus.Idle, harness.Connection(0).Status);
        Assert.Equal(TransactionStatus.Idle, harness.Connection(1).Status);
    }

    [Fact]
    public async Task Extended_Autocommit_MismatchFailsTheStatement_RollsBackEveryNode()
    {
        await using var harness = new ReplicationHarness();
        harness.Node(1).On(Update, NodeReply.Command("UPDATE 2"));
        await using var client = await harness.StartClientAsync();

        var replies = await client.ExchangeAsync(ClientFrames.Group(Update));

        Assert.Equal(["E XX001", "Z I"], replies.TakeLast(2));
        Assert.Equal("Q ROLLBACK", harness.SentTo(0)[^1]);
        Assert.Equal("Q ROLLBACK", harness.SentTo(1)[^1]);
        Assert.Equal(BackendStatus.Up, harness.StatusOf(1));
    }

    [Fact]
    public async Task Extended_Autocommit_MismatchFailsTheStatement_OneAnswerOnly()
    {
        await using var harness = new ReplicationHarness();
        harness.Node(1).On(Update, NodeReply.Command("UPDATE 2"));
        await using var client = await harness.StartClientAsync();

        Assert.Equal(["1", "2", "n", "E XX001", "Z I"], await client.ExchangeAsync(ClientFrames.Group(Update)));
    }

    [Fact]
    public async Task Extended_Autocommit_MismatchWithFailoverIfAffectedTuplesMismatch_DegeneratesTheOther()
    {
        await using var harness = new ReplicationHarness(configure: o => o with { FailoverIfAffectedTuplesMismatch = true });
        harness.Node(1).On(Update, NodeReply.Command("UPDATE 2"));
        await using var client = await harness.StartClientAsync();

        Assert.Equal(["1", "2", "n", "C UPDATE 1", "Z I"], await client.ExchangeAsync(ClientFrames.Group(Update)));

        Assert.Equal("Q COMMIT", harness.SentTo(0)[^1]);
        Assert.DoesNotContain("Q COMMIT", harness.SentTo(1));
        Assert.Equal(BackendStatus.Down, harness.StatusOf(1));
    }

    [Fact]
    public async Task Extended_InTransaction_MismatchIsFoundAtCommit_FailsTheTransactionOnEveryNode()
    {
        await using var harness = new ReplicationHarness();
        harness.Node(1).On(Update, NodeReply.Command("UPDATE 2"));
        await using var client = await harness.StartClientAsync();

        await client.ExchangeAsync(ClientFrames.Group("BEGIN")); // on every node at once
        Assert.Equal(["1", "2", "n", "C UPDATE 1", "Z T"], await client.ExchangeAsync(ClientFrames.Group(Update)));
        // Refused before any node runs it: the error answers the group's first message, as a failed Parse would.
        Assert.Equal(["E XX001", "Z E"], await client.ExchangeAsync(ClientFrames.Group("COMMIT")));
        Assert.Equal(["C ROLLBACK", "Z I"], await client.QueryAsync("ROLLBACK"));

        Assert.Equal(BackendStatus.Up, harness.StatusOf(1));
        Assert.Equal(TransactionStatus.Idle, harness.Connection(0).Status);
        Assert.Equal(TransactionStatus.Idle, harness.Connection(1).Status);
    }

    [Fact]
    public async Task Extended_InTransaction_FlushEndedGroupMismatch_FailsTheTransactionOnEveryNode()
    {
        await using var harness = new ReplicationHarness();
        harness.Node(1).On(Update, NodeReply.Command("UPDATE 2"));
        await using var client = await harness.StartClientAsync();

        await client.ExchangeAsync(ClientFrames.Group("BEGIN"));
        // Ended by Flush, not Sync: compared at once (nothing is owed), and the mismatch fails it like an error
        // would, with the ReadyForQuery after the client's Sync — never main's tag standing on a diverged node.
        byte[] flushed = [.. ClientFrames.Statement(Update), .. ClientFrames.Flush()];
        Assert.Equal(["1", "2", "n", "E XX001"], await client.ExchangeUntilAsync(flushed, 'E'));
        Assert.Equal(["Z E"], await client.ExchangeAsync(ClientFrames.Sync()));
        Assert.Equal(["C ROLLBACK", "Z I"], await client.QueryAsync("COMMIT"));

        Assert.DoesNotContain("Q COMMIT", harness.SentTo(1));
        Assert.Equal(BackendStatus.Up, harness.StatusOf(1));
        Assert.Equal(TransactionStatus.Idle, harness.Connection(0).Status);
        Assert.Equal(TransactionStatus.Idle, harness.Connection(1).Status);
    }

    [Fact]
    public async Task Simple_ThreeNodes_MismatchOnTheLastNode_DegeneratesOnlyIt()
    {
        await using var harness = new ReplicationHarness(3, o => o with { FailoverIfAffectedTuplesMismatch = true });
        harness.Node(2).On(Update, NodeReply.Command("UPDATE 0"));
        await using var client = await harness.StartClientAsync();

        Assert.Equal(["C UPDATE 1", "Z I"], await client.QueryAsync(Update));

        Assert.Equal(Runs(3, "Q COMMIT"), harness.SentTo(1));
        Assert.Equal(BackendStatus.Up, harness.StatusOf(1));
        Assert.Equal(BackendStatus.Down, harness.StatusOf(2));
    }
}

using Pgproxy.Core.Backends;
using Pgproxy.TestUtilities.Scripted;

namespace Pgproxy.Core.Tests.Replication;

/// <summary>
/// An autocommit write whose nodes affected different numbers of rows is rolled back everywhere and runs again, up
/// to three times, before the difference fails it or takes the node out (WritePath.RowCountsDiffer). Every node
/// commits at its own moment, so a write can reach one node just before a commit lands there and another just
/// after: a race, which a second run no longer meets. Measured through two real nodes: an upsert that increments n
/// beside <c>DELETE … WHERE id = k AND n &gt; 3</c> gave pgbench's clients XX001 within seconds.
/// </summary>
public sealed class RowCountRerunTests
{
    private const string Delete = "DELETE FROM t WHERE id = 1 AND n > 3";

    private static readonly string[] Ran = ["Q BEGIN", "Q " + Delete, "Q ROLLBACK"];

    [Fact]
    public async Task Simple_CountsDifferInTheFirstRunOnly_TheSecondRunCommits_TheClientHearsOnce()
    {
        await using var harness = new ReplicationHarness();
        harness.Node(1).On(Delete, NodeReply.Command("DELETE 0"), times: 1);
        await using var client = await harness.StartClientAsync();

        Assert.Equal(["C DELETE 1", "Z I"], await client.QueryAsync(Delete));

        Assert.Equal([.. Ran, "Q BEGIN", "Q " + Delete, "Q COMMIT"], harness.SentTo(0));
        Assert.Equal([.. Ran, "Q BEGIN", "Q " + Delete, "Q COMMIT"], harness.SentTo(1));
        Assert.Equal(BackendStatus.Up, harness.StatusOf(1));
        Assert.Equal((1, 0), (harness.Runtime.Reruns.RanAgain, harness.Runtime.Reruns.DifferedEveryRun));
    }

    [Fact]
    public async Task CountsDifferInEveryRun_CountedOnce_ThenTheStatementFails()
    {
        await using var harness = new ReplicationHarness();
        harness.Node(1).On(Delete, NodeReply.Command("DELETE 0"));
        await using var client = await harness.StartClientAsync();

        Assert.Equal(["E XX001", "Z I"], (await client.QueryAsync(Delete)).TakeLast(2));

        Assert.Equal((2, 1), (harness.Runtime.Reruns.RanAgain, harness.Runtime.Reruns.DifferedEveryRun));
    }

    [Fact]
    public async Task Simple_CountsDifferTwice_TheThirdRunCommits()
    {
        await using var harness = new ReplicationHarness();
        harness.Node(1).On(Delete, NodeReply.Command("DELETE 0"), times: 2);
        await using var client = await harness.StartClientAsync();

        Assert.Equal(["C DELETE 1", "Z I"], await client.QueryAsync(Delete));

        Assert.Equal([.. Ran, .. Ran, "Q BEGIN", "Q " + Delete, "Q COMMIT"], harness.SentTo(1));
    }

    [Fact]
    public async Task Extended_CountsDifferInTheFirstRunOnly_TheClientGetsEachAnswerOnce()
    {
        await using var harness = new ReplicationHarness();
        harness.Node(1).On(Delete, NodeReply.Command("DELETE 0"), times: 1);
        await using var client = await harness.StartClientAsync();

        Assert.Equal(["1", "2", "n", "C DELETE 1", "Z I"], await client.ExchangeAsync(ClientFrames.Group(Delete)));

        Assert.Equal("Q COMMIT", harness.SentTo(0)[^1]);
        Assert.Equal("Q COMMIT", harness.SentTo(1)[^1]);
        Assert.Equal(1, harness.SentTo(1).Count(f => f == "Q ROLLBACK"));
        Assert.Equal(BackendStatus.Up, harness.StatusOf(1));
    }

    /// <summary>
    /// With failover_if_affected_tuples_mismatch a race took a healthy node out; now only a difference that
    /// outlasts the runs does.
    /// </summary>
    [Fact]
    public async Task FailoverIfAffectedTuplesMismatch_CountsDifferOnce_TheNodeStays()
    {
        await using var harness =
            new ReplicationHarness(configure: o => o with { FailoverIfAffectedTuplesMismatch = true });
        harness.Node(1).On(Delete, NodeReply.Command("DELETE 0"), times: 1);
        await using var client = await harness.StartClientAsync();

        Assert.Equal(["C DELETE 1", "Z I"], await client.QueryAsync(Delete));

        Assert.Equal(BackendStatus.Up, harness.StatusOf(1));
        Assert.Equal("Q COMMIT", harness.SentTo(1)[^1]);
    }

    /// <summary>
    /// Inside the client's transaction nothing can run again (the client has heard main's answer and may have acted
    /// on it): the difference fails the transaction at COMMIT, as before (RowCountMismatchTests).
    /// </summary>
    [Fact]
    public async Task InTheClientsTransaction_NothingRunsAgain()
    {
        await using var harness = new ReplicationHarness();
        harness.Node(1).On(Delete, NodeReply.Command("DELETE 0"), times: 1);
        await using var client = await harness.StartClientAsync();

        await client.QueryAsync("BEGIN");
        Assert.Equal(["C DELETE 1", "Z T"], await client.QueryAsync(Delete));
        Assert.Equal(["E XX001", "Z E"], await client.QueryAsync("COMMIT"));

        Assert.Equal(1, harness.SentTo(1).Count(f => f == SentFrame.Script("BEGIN", Delete))); // once, with its BEGIN
    }

    /// <summary>
    /// A write that calls a function may have done something outside the transaction (dblink, an advisory lock, a
    /// sequence): it does not run again.
    /// </summary>
    [Fact]
    public async Task AWriteCallingAFunction_DoesNotRunAgain()
    {
        const string Calls = "DELETE FROM t WHERE id = 1 AND n > pg_advisory_lock(1)::text::int";
        await using var harness = new ReplicationHarness();
        harness.Node(1).On(Calls, NodeReply.Command("DELETE 0"), times: 1);
        await using var client = await harness.StartClientAsync();

        var replies = await client.QueryAsync(Calls);

        Assert.Equal(["E XX001", "Z I"], replies.TakeLast(2));
        Assert.Equal(1, harness.SentTo(1).Count(f => f == "Q " + Calls));
    }

    /// <summary>A different outcome (an error on one node) is no race of row counts: it does not run again.</summary>
    [Fact]
    public async Task AnErrorOnOneNode_DoesNotRunAgain()
    {
        await using var harness = new ReplicationHarness();
        harness.Node(1).On(Delete, NodeReply.Error("23503", "violates foreign key constraint"), times: 1);
        await using var client = await harness.StartClientAsync();

        var replies = await client.QueryAsync(Delete);

        Assert.Equal(["E XX001", "Z I"], replies.TakeLast(2));
        Assert.Equal(1, harness.SentTo(1).Count(f => f == "Q " + Delete));
    }
}

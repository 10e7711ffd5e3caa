using Pgproxy.Core.Backends;
using Pgproxy.TestUtilities.Scripted;

namespace Pgproxy.Core.Tests.Replication;

/// <summary>
/// The BEGIN pgproxy sends ahead of an autocommit write (and the client's deferred one), and its own COMMIT and
/// ROLLBACK, hold a client's cancel back from that backend until their ReadyForQuery is read: a cancel landing on the BEGIN failed it alone,
/// and main ran the write outside any transaction, committing it at once (found with a client that cancelled every
/// statement: one row of a hot table ended apart).
/// </summary>
public sealed class CancelHoldSessionTests
{
    [Fact]
    public async Task WhileMainRunsTheBegin_ACancelIsHeld_AndGoesOnceItsAnswerIsRead()
    {
        await using var harness = new ReplicationHarness();
        var beginReached = new SemaphoreSlim(0);
        var beginRelease = new ManualResetEventSlim();
        harness.Node(0).On(s =>
        {
            if (s.Sql == "BEGIN")
            {
                beginReached.Release();
                beginRelease.Wait(TimeSpan.FromSeconds(10)); // main is still running the BEGIN
            }

            return false;
        }, NodeReply.Empty());
        await using var client = await harness.StartClientAsync();

        var write = client.QueryAsync("UPDATE t SET v = 1 WHERE id = 1");
        Assert.True(await beginReached.WaitAsync(TimeSpan.FromSeconds(10)));
        var main = MainBackend(harness);
        main.CancelHold.MaxWait = TimeSpan.FromSeconds(10); // so a slow machine cannot let the bound end it first
        var cancel = main.CancelHold.WhenNoBeginAsync();
        await Task.Delay(50);
        Assert.False(cancel.IsCompleted);

        beginRelease.Set();
        await cancel.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(["C UPDATE 1", "Z I"], await write);
        Assert.True(main.CancelHold.WhenNoBeginAsync().IsCompleted);
    }

    [Fact]
    public async Task AfterTransactionsOfEveryKind_NoCancelIsHeld()
    {
        await using var harness = new ReplicationHarness();
        harness.Node(0).On("UPDATE t SET v = 9 WHERE id = 1", NodeReply.Error("23505"));
        await using var client = await harness.StartClientAsync();
        var backends = harness.Runtime.Sessions.Sessions.Single().Backends.ToList();
        backends.ForEach(b => b.CancelHold.MaxWait = TimeSpan.FromMinutes(1)); // a hold never released would show

        await client.QueryAsync("UPDATE t SET v = 1 WHERE id = 1");
        Assert.Equal(["E 23505", "Z I"], await client.QueryAsync("UPDATE t SET v = 9 WHERE id = 1")); // ROLLBACK
        await client.QueryAsync("BEGIN");
        await client.QueryAsync("UPDATE t SET v = 2 WHERE id = 1");
        await client.QueryAsync("COMMIT");
        await client.ExchangeAsync(ClientFrames.Group("UPDATE t SET v = 3 WHERE id = 1"));

        foreach (var backend in backends)
        {
            Assert.True(backend.CancelHold.WhenNoBeginAsync().IsCompleted, $"node {backend.NodeId}");
        }
    }

    [Fact]
    public async Task ARollbackOfPgproxysThatACancelMetAllTheSame_IsSentAgainBeforeTheNextStatement()
    {
        // Found in the nodes' logs: the cancel that failed main's snapshot query reached node 1 as pgproxy rolled
        // it back there; its next statement got 25P02, and the client XX001.
        await using var harness = new ReplicationHarness();
        harness.Node(0).On("UPDATE t SET v = 9 WHERE id = 1", NodeReply.Error("57014"));
        harness.Node(0).On("ROLLBACK", NodeReply.Error("57014", "canceling statement due to user request")
            with { LeavesBlockFailed = true }, times: 1);
        await using var client = await harness.StartClientAsync();

        Assert.Equal(["E 57014", "Z I"], await client.QueryAsync("UPDATE t SET v = 9 WHERE id = 1"));
        Assert.Equal(["C UPDATE 1", "Z I"], await client.QueryAsync("UPDATE t SET v = 1 WHERE id = 1"));

        var sent = harness.SentTo(0).ToList();
        Assert.Equal(["Q ROLLBACK", "Q ROLLBACK", "Q BEGIN", "Q UPDATE t SET v = 1 WHERE id = 1"],
            sent[sent.IndexOf("Q UPDATE t SET v = 9 WHERE id = 1")..][1..5]);
    }

    private static BackendConnection MainBackend(ReplicationHarness harness) =>
        harness.Runtime.Sessions.Sessions.Single().Backends.Single(b => b.NodeId == 0);
}

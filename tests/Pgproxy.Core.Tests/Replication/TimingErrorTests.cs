using Pgproxy.Core.Backends;
using Pgproxy.Core.Config;
using Pgproxy.Protocol.Messages;
using Pgproxy.TestUtilities.Scripted;

namespace Pgproxy.Core.Tests.Replication;

/// <summary>
/// Another node fails a write main ran for a reason of timing, not of its data: the client's cancel (which pgproxy
/// sends to every node) or statement_timeout (57014), lock_timeout or NOWAIT (55P03), a deadlock or serialization
/// failure (40P01, 40001). The write fails on every node with that node's own SQLSTATE, which tells the client to
/// retry, and the node stays up whatever <c>replication_stop_on_mismatch</c> says: before, a well-timed cancel gave
/// XX001, or with the setting on took a healthy node out. Phase three (COMMIT PREPARED) so interrupted is sent again.
/// </summary>
public sealed class TimingErrorTests
{
    private const string Update = "UPDATE t SET v = 1 WHERE id = 1";
    private const string Gid = "pgproxy_0_742";

    [Theory]
    [InlineData("57014", false)]
    [InlineData("57014", true)]
    [InlineData("55P03", true)]
    [InlineData("40P01", true)]
    public async Task Simple_Autocommit_TimingErrorOnOther_ClientGetsIt_EveryNodeRollsBack_NodeStays(string sqlState,
        bool stopOnMismatch)
    {
        await using var harness = new ReplicationHarness(configure: o => o with
        {
            ReplicationStopOnMismatch = stopOnMismatch,
        });
        harness.Node(1).On(Update, NodeReply.Error(sqlState, "canceling statement due to user request"));
        await using var client = await harness.StartClientAsync();

        Assert.Equal(["E " + sqlState, "Z I"], await client.QueryAsync(Update));

        Assert.Equal(["Q BEGIN", "Q " + Update, "Q ROLLBACK"], harness.SentTo(0));
        Assert.Equal(["Q BEGIN", "Q " + Update, "Q ROLLBACK"], harness.SentTo(1));
        Assert.Equal(BackendStatus.Up, harness.StatusOf(1));
    }

    [Fact]
    public async Task Extended_Autocommit_TimingErrorOnOther_ClientGetsIt_NodeStays()
    {
        await using var harness = new ReplicationHarness(configure: o => o with { ReplicationStopOnMismatch = true });
        harness.Node(1).On(Update, NodeReply.Error("57014"));
        await using var client = await harness.StartClientAsync();

        Assert.Equal(["1", "2", "n", "E 57014", "Z I"], await client.ExchangeAsync(ClientFrames.Group(Update)));

        Assert.Equal("Q ROLLBACK", harness.SentTo(0)[^1]);
        Assert.Equal("Q ROLLBACK", harness.SentTo(1)[^1]);
        Assert.Equal(BackendStatus.Up, harness.StatusOf(1));
    }

    [Fact]
    public async Task InTransaction_TimingErrorOnOther_FoundWithThePrepare_FailsTheCommitWithIt_NodeStays()
    {
        await using var harness = TwoPhaseHarness(o => o with { ReplicationStopOnMismatch = true });
        harness.Node(1).On(Update, NodeReply.Error("55P03"));
        await using var client = await harness.StartClientAsync();

        await client.QueryAsync("BEGIN");
        Assert.Equal(["C UPDATE 1", "Z T"], await client.QueryAsync(Update));
        Assert.Equal(["E 55P03", "Z E"], await client.QueryAsync("COMMIT"));
        Assert.Equal(["C ROLLBACK", "Z I"], await client.QueryAsync("ROLLBACK"));

        Assert.DoesNotContain("Q COMMIT", harness.SentTo(0));
        Assert.Equal(TransactionStatus.Idle, harness.Connection(0).Status);
        Assert.Equal(TransactionStatus.Idle, harness.Connection(1).Status);
        Assert.Equal(BackendStatus.Up, harness.StatusOf(1));
    }

    [Fact]
    public async Task OtherDataError_WithStopOnMismatch_StillTakesTheNodeOut()
    {
        await using var harness = new ReplicationHarness(configure: o => o with { ReplicationStopOnMismatch = true });
        harness.Node(1).On(Update, NodeReply.Error("23505"));
        await using var client = await harness.StartClientAsync();

        Assert.Equal(["C UPDATE 1", "Z I"], await client.QueryAsync(Update));

        Assert.Equal(BackendStatus.Down, harness.StatusOf(1));
    }

    [Fact]
    public async Task CommitPrepared_CanceledOnce_IsSentAgain_TheNodeStays()
    {
        await using var harness = TwoPhaseHarness();
        harness.Node(1).On($"COMMIT PREPARED '{Gid}'", NodeReply.Error("57014"), times: 1);
        await using var client = await harness.StartClientAsync();

        await client.QueryAsync("BEGIN");
        Assert.Equal(["C UPDATE 1", "Z T"], await client.QueryAsync(Update));
        Assert.Equal(["C COMMIT", "Z I"], await client.QueryAsync("COMMIT"));

        Assert.Equal(2, harness.SentTo(1).Count(s => s == $"Q COMMIT PREPARED '{Gid}'"));
        Assert.Equal(BackendStatus.Up, harness.StatusOf(1));
        Assert.Equal(1, harness.Runtime.TwoPhase.TwoPhaseCommits);
    }

    [Fact]
    public async Task MainAnsweringTheCommitWithRollback_RollsThePreparedBack()
    {
        // A cancel that lands on a query of pgproxy's own on main fails main's transaction unseen by the client;
        // its COMMIT is then answered ROLLBACK, with no error. Node 1 committed it (COMMIT PREPARED) before.
        await using var harness = TwoPhaseHarness();
        harness.Node(0).On("COMMIT", NodeReply.Command("ROLLBACK"));
        await using var client = await harness.StartClientAsync();

        await client.QueryAsync("BEGIN");
        Assert.Equal(["C UPDATE 1", "Z T"], await client.QueryAsync(Update));
        Assert.Equal("C ROLLBACK", (await client.QueryAsync("COMMIT"))[0]);

        Assert.Contains($"Q ROLLBACK PREPARED '{Gid}'", harness.SentTo(1));
        Assert.DoesNotContain($"Q COMMIT PREPARED '{Gid}'", harness.SentTo(1));
        Assert.Equal(BackendStatus.Up, harness.StatusOf(1));
    }

    [Fact]
    public async Task CommitPrepared_CanceledTwice_TakesTheNodeOut()
    {
        await using var harness = TwoPhaseHarness();
        harness.Node(1).On($"COMMIT PREPARED '{Gid}'", NodeReply.Error("57014"));
        await using var client = await harness.StartClientAsync();

        await client.QueryAsync("BEGIN");
        Assert.Equal(["C UPDATE 1", "Z T"], await client.QueryAsync(Update));
        Assert.Equal(["C COMMIT", "Z I"], await client.QueryAsync("COMMIT"));

        Assert.Equal(2, harness.SentTo(1).Count(s => s == $"Q COMMIT PREPARED '{Gid}'"));
        Assert.Equal(BackendStatus.Down, harness.StatusOf(1));
    }

    private static ReplicationHarness TwoPhaseHarness(Func<ProxyOptions, ProxyOptions>? configure = null) =>
        TwoPhaseHeldBackTests.TwoPhaseHarness(configure); // main's transaction id is 742
}

using Pgproxy.Core.Backends;
using Pgproxy.Core.Config;
using Pgproxy.Protocol.Messages;
using Pgproxy.TestUtilities.Scripted;

namespace Pgproxy.Core.Tests.Replication;

/// <summary>
/// Two-phase commit of a transaction whose writes were held back for the other node (DESIGN §3.3, §3.9): the
/// PREPARE goes out behind them, their answers are compared with main's before its own is read, and only then does
/// main commit. When they differ the prepared transaction is rolled back and the COMMIT fails as it does when the
/// difference is found before it.
/// </summary>
public sealed class TwoPhaseHeldBackTests
{
    private const string Update = "UPDATE t SET v = 1";
    private const string Gid = "pgproxy_0_742";

    [Fact]
    public async Task Commit_PreparesBehindTheHeldBackWrites_ThenCommitsMain_ThenThePrepared()
    {
        await using var harness = TwoPhaseHarness();
        await using var client = await harness.StartClientAsync();

        await client.QueryAsync("BEGIN");
        Assert.Equal(["C UPDATE 1", "Z T"], await client.QueryAsync(Update));
        Assert.Equal(["C INSERT 0 1", "Z T"], await client.QueryAsync("INSERT INTO t VALUES (1)"));
        Assert.Equal(["C COMMIT", "Z I"], await client.QueryAsync("COMMIT"));

        Assert.Equal([SentFrame.Script("BEGIN", Update, "INSERT INTO t VALUES (1)"), $"Q PREPARE TRANSACTION '{Gid}'",
            $"Q COMMIT PREPARED '{Gid}'"], harness.SentTo(1));
        Assert.Equal("Q COMMIT", harness.SentTo(0)[^1]);
        Assert.True(harness.IndexOf(1, $"Q PREPARE TRANSACTION '{Gid}'") < harness.IndexOf(0, "Q COMMIT"));
        Assert.True(harness.IndexOf(0, "Q COMMIT") < harness.IndexOf(1, $"Q COMMIT PREPARED '{Gid}'"));
        Assert.Equal(1, harness.Runtime.TwoPhase.TwoPhaseCommits);
    }

    [Fact]
    public async Task Mismatch_ReadWithThePrepare_RollsThePreparedBack_AndFailsTheTransaction()
    {
        await using var harness = TwoPhaseHarness();
        harness.Node(1).On(Update, NodeReply.Command("UPDATE 2"));
        await using var client = await harness.StartClientAsync();

        await client.QueryAsync("BEGIN");
        Assert.Equal(["C UPDATE 1", "Z T"], await client.QueryAsync(Update));
        Assert.Equal(["E XX001", "Z E"], await client.QueryAsync("COMMIT"));
        Assert.Equal(["C ROLLBACK", "Z I"], await client.QueryAsync("ROLLBACK"));

        Assert.Equal([SentFrame.Script("BEGIN", Update), $"Q PREPARE TRANSACTION '{Gid}'", $"Q ROLLBACK PREPARED '{Gid}'"],
            harness.SentTo(1));
        Assert.DoesNotContain("Q COMMIT", harness.SentTo(0));
        Assert.Equal("Q ROLLBACK", harness.SentTo(0)[^1]);
        Assert.Equal(BackendStatus.Up, harness.StatusOf(1));
        Assert.Equal(0, harness.Runtime.TwoPhase.TwoPhaseCommits);
    }

    [Fact]
    public async Task An_error_inside_the_held_back_script_fails_the_transaction_everywhere_and_leaves_the_node_idle()
    {
        // Node 1 runs the held-back statements as one Query (HeldScript): it stops at the failing one and skips the
        // rest, which pgproxy then reads as PostgreSQL's answers to statements of a failed transaction.
        await using var harness = TwoPhaseHarness();
        harness.Node(1).On(Update, NodeReply.Error("23505"));
        await using var client = await harness.StartClientAsync();

        await client.QueryAsync("BEGIN");
        Assert.Equal(["C UPDATE 1", "Z T"], await client.QueryAsync(Update));
        Assert.Equal(["C INSERT 0 1", "Z T"], await client.QueryAsync("INSERT INTO t VALUES (1)"));
        Assert.Equal(["C DELETE 1", "Z T"], await client.QueryAsync("DELETE FROM t WHERE id = 2"));
        Assert.Equal(["E XX001", "Z E"], await client.QueryAsync("COMMIT"));
        Assert.Equal(["C ROLLBACK", "Z I"], await client.QueryAsync("ROLLBACK"));

        Assert.Equal(SentFrame.Script("BEGIN", Update, "INSERT INTO t VALUES (1)", "DELETE FROM t WHERE id = 2"),
            harness.SentTo(1)[0]);
        Assert.DoesNotContain("Q COMMIT", harness.SentTo(0));
        Assert.Equal(TransactionStatus.Idle, harness.Connection(0).Status);
        Assert.Equal(TransactionStatus.Idle, harness.Connection(1).Status);
        Assert.Equal(BackendStatus.Up, harness.StatusOf(1));
        Assert.Equal(0, harness.Runtime.TwoPhase.TwoPhaseCommits);

        // The session goes on: the next transaction is held back and merged again.
        await client.QueryAsync("BEGIN");
        Assert.Equal(["C INSERT 0 1", "Z T"], await client.QueryAsync("INSERT INTO t VALUES (3)"));
        Assert.Equal(["C COMMIT", "Z I"], await client.QueryAsync("COMMIT"));
        Assert.Contains(SentFrame.Script("BEGIN", "INSERT INTO t VALUES (3)"), harness.SentTo(1));
        Assert.Equal(1, harness.Runtime.TwoPhase.TwoPhaseCommits);
    }

    [Fact]
    public async Task Mismatch_WithFailoverIfAffectedTuplesMismatch_TakesTheOtherOut_AndMainCommitsAlone()
    {
        await using var harness = TwoPhaseHarness(o => o with { FailoverIfAffectedTuplesMismatch = true });
        harness.Node(1).On(Update, NodeReply.Command("UPDATE 2"));
        await using var client = await harness.StartClientAsync();

        await client.QueryAsync("BEGIN");
        Assert.Equal(["C UPDATE 1", "Z T"], await client.QueryAsync(Update));
        Assert.Equal(["C COMMIT", "Z I"], await client.QueryAsync("COMMIT"));

        Assert.Equal("Q COMMIT", harness.SentTo(0)[^1]);
        Assert.DoesNotContain($"Q COMMIT PREPARED '{Gid}'", harness.SentTo(1));
        Assert.Equal(BackendStatus.Down, harness.StatusOf(1));
    }

    [Fact]
    public async Task Extended_Commit_PreparesBehindTheHeldBackWrites_ThenCommitsMain_ThenThePrepared()
    {
        await using var harness = TwoPhaseHarness();
        await using var client = await harness.StartClientAsync();

        await client.QueryAsync("BEGIN");
        Assert.Equal(["1", "2", "n", "C UPDATE 1", "Z T"], await client.ExchangeAsync(ClientFrames.Group(Update)));
        Assert.Equal(["1", "2", "n", "C COMMIT", "Z I"], await client.ExchangeAsync(ClientFrames.Group("COMMIT")));

        var prepare = harness.IndexOf(1, $"Q PREPARE TRANSACTION '{Gid}'");
        Assert.True(harness.IndexOf(1, "P :" + Update) < prepare); // the held-back group went out ahead of it
        Assert.True(harness.IndexOf(1, "S") < prepare);
        Assert.True(prepare < harness.IndexOf(0, "P :COMMIT")); // main's COMMIT group once node 1 prepared
        Assert.True(harness.IndexOf(0, "P :COMMIT") < harness.IndexOf(1, $"Q COMMIT PREPARED '{Gid}'"));
        Assert.Equal(1, harness.Runtime.TwoPhase.TwoPhaseCommits);
    }

    [Fact]
    public async Task Extended_Mismatch_ReadWithThePrepare_RollsThePreparedBack_AndFailsTheTransaction()
    {
        await using var harness = TwoPhaseHarness();
        harness.Node(1).On(Update, NodeReply.Command("UPDATE 2"));
        await using var client = await harness.StartClientAsync();

        await client.QueryAsync("BEGIN");
        Assert.Equal(["1", "2", "n", "C UPDATE 1", "Z T"], await client.ExchangeAsync(ClientFrames.Group(Update)));
        Assert.Equal(["E XX001", "Z E"], await client.ExchangeAsync(ClientFrames.Group("COMMIT")));
        Assert.Equal(["C ROLLBACK", "Z I"], await client.QueryAsync("ROLLBACK"));

        Assert.Contains($"Q ROLLBACK PREPARED '{Gid}'", harness.SentTo(1));
        Assert.Equal(TransactionStatus.Idle, harness.Connection(0).Status);
        Assert.Equal(TransactionStatus.Idle, harness.Connection(1).Status);
        Assert.Equal(0, harness.Runtime.TwoPhase.TwoPhaseCommits);
    }

    /// <summary>Two nodes committing in two phases; main's transaction id is 742.</summary>
    internal static ReplicationHarness TwoPhaseHarness(Func<ProxyOptions, ProxyOptions>? configure = null)
    {
        var harness = new ReplicationHarness(configure: configure);
        harness.Runtime.TwoPhase.Set(true, "two_phase");
        harness.Node(0).On(s => s.Sql.Contains("pg_current_xact_id", StringComparison.Ordinal), NodeReply.Values("742"));
        return harness;
    }
}

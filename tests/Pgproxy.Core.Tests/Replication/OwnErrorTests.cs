using System.Text;
using Pgproxy.Protocol.Messages;
using Pgproxy.TestUtilities.Scripted;

namespace Pgproxy.Core.Tests.Replication;

/// <summary>
/// Errors pgproxy produces itself (here the refusal of a nondeterministic write) are ErrorResponses pgproxy writes in
/// place of the statement's answer (issue 12, item 4): no node runs anything to raise them — no <c>DO</c> block, so
/// no PL/pgSQL CONTEXT and no dependency on the language — and inside a transaction every node's part fails too, so
/// the client's later COMMIT is a ROLLBACK everywhere. Main only parse-analyses a refused simple-protocol write
/// first (in either protocol), so that PostgreSQL's own error for a statement it rejects comes first (issue 16 item 15).
/// </summary>
public sealed class OwnErrorTests
{
    private const string Insert = "INSERT INTO t VALUES (random())";

    private const string FailingCast = "Q SELECT 'pgproxy failed the statement'::int";

    /// <summary>What main gets of a refused write: parsed, closed, never run (MainParseCheck).</summary>
    private static readonly string[] ParseCheck = ["P :" + Insert, "C S", "S"];

    [Fact]
    public async Task Simple_Autocommit_Refusal_IsPgproxysOwnError_NoNodeRunsAnything()
    {
        await using var harness = new ReplicationHarness();
        await using var client = await harness.StartClientAsync();

        await client.SendAsync(ClientFrames.Query(Insert));
        var replies = await client.ReadUntilReadyForQueryAsync();

        Assert.Equal(["E 0A000", "Z I"], ClientReplies.Render(replies));
        AssertPgproxysRefusal(replies[0]);
        Assert.Equal(ParseCheck, harness.SentTo(0)); // main parse-analyses it (PostgreSQL's own error first), no more
        Assert.Empty(harness.SentTo(1));
        Assert.Equal(["C INSERT 0 1", "Z I"], await client.QueryAsync("INSERT INTO t VALUES (1)")); // usable
    }

    [Fact]
    public async Task Extended_Autocommit_Refusal_AnswersTheGroup_ThenReadyForQuery()
    {
        await using var harness = new ReplicationHarness();
        await using var client = await harness.StartClientAsync();

        await client.SendAsync(ClientFrames.Group(Insert));
        var replies = await client.ReadUntilReadyForQueryAsync();

        Assert.Equal(["E 0A000", "Z I"], ClientReplies.Render(replies));
        AssertPgproxysRefusal(replies[0]);
        Assert.Equal(ParseCheck, harness.SentTo(0)); // the extended protocol's Parse is checked on main too
        Assert.Empty(harness.SentTo(1));
        Assert.Equal(["1", "2", "n", "C INSERT 0 1", "Z I"],
            await client.ExchangeAsync(ClientFrames.Group("INSERT INTO t VALUES (1)")));
    }

    [Fact]
    public async Task Simple_InTransaction_Refusal_FailsEveryNodesTransaction_CommitRollsBackEverywhere()
    {
        await using var harness = new ReplicationHarness();
        await using var client = await harness.StartClientAsync();

        Assert.Equal(["C BEGIN", "Z T"], await client.QueryAsync("BEGIN"));
        Assert.Equal(["C INSERT 0 1", "Z T"], await client.QueryAsync("INSERT INTO t VALUES (1)"));
        await client.SendAsync(ClientFrames.Query(Insert));
        var replies = await client.ReadUntilReadyForQueryAsync();
        Assert.Equal(["E 0A000", "Z E"], ClientReplies.Render(replies));
        AssertPgproxysRefusal(replies[0]);
        Assert.Equal(["E 25P02", "Z E"], await client.QueryAsync("SELECT 1"));
        Assert.Equal(["C ROLLBACK", "Z I"], await client.QueryAsync("COMMIT"));

        foreach (var node in new[] { 0, 1 })
        {
            var sent = harness.SentTo(node);
            Assert.Contains(FailingCast, sent);
            Assert.DoesNotContain("Q " + Insert, sent);
            Assert.DoesNotContain(sent, s => s.Contains("DO $", StringComparison.Ordinal));
            Assert.Equal(TransactionStatus.Idle, harness.Connection(node).Status);
        }

        Assert.DoesNotContain("Q COMMIT", harness.SentTo(1)); // the others roll back; main answers COMMIT with ROLLBACK
    }

    [Fact]
    public async Task Simple_RefusalRightAfterBegin_StillFailsTheTransaction()
    {
        await using var harness = new ReplicationHarness();
        await using var client = await harness.StartClientAsync();

        Assert.Equal(["C BEGIN", "Z T"], await client.QueryAsync("BEGIN")); // answered at once, not sent yet
        Assert.Equal(["E 0A000", "Z E"], await client.QueryAsync(Insert));
        Assert.Equal(["C ROLLBACK", "Z I"], await client.QueryAsync("COMMIT"));

        Assert.Equal(["Q BEGIN", .. ParseCheck, FailingCast, "Q COMMIT"], harness.SentTo(0));
        Assert.Equal(["Q BEGIN", FailingCast, "Q ROLLBACK"], harness.SentTo(1));
    }

    [Fact]
    public async Task Extended_InTransaction_Refusal_FailsEveryNodesTransaction_CommitRollsBackEverywhere()
    {
        await using var harness = new ReplicationHarness();
        await using var client = await harness.StartClientAsync();

        await client.ExchangeAsync(ClientFrames.Group("BEGIN"));
        Assert.Equal(["1", "2", "n", "C INSERT 0 1", "Z T"],
            await client.ExchangeAsync(ClientFrames.Group("INSERT INTO t VALUES (1)")));
        await client.SendAsync(ClientFrames.Group(Insert));
        var replies = await client.ReadUntilReadyForQueryAsync();
        Assert.Equal(["E 0A000", "Z E"], ClientReplies.Render(replies));
        AssertPgproxysRefusal(replies[0]);
        Assert.Equal(["C ROLLBACK", "Z I"], (await client.ExchangeAsync(ClientFrames.Group("COMMIT"))).TakeLast(2));

        foreach (var node in new[] { 0, 1 })
        {
            var sent = harness.SentTo(node);
            Assert.Contains(FailingCast, sent);
            Assert.DoesNotContain(sent, s => s.Contains("DO $", StringComparison.Ordinal));
            Assert.Equal(TransactionStatus.Idle, harness.Connection(node).Status);
        }
    }

    [Fact]
    public async Task Extended_FlushEndedRefusal_SkipsTheRestUpToSync()
    {
        await using var harness = new ReplicationHarness();
        await using var client = await harness.StartClientAsync();

        byte[] request = [.. ClientFrames.Statement(Insert), .. ClientFrames.Flush()];
        Assert.Equal(["E 0A000"], await client.ExchangeUntilAsync(request, 'E'));
        // Skipped as PostgreSQL skips what follows an error up to Sync: this INSERT runs nowhere.
        byte[] rest = [.. ClientFrames.Statement("INSERT INTO t VALUES (1)"), .. ClientFrames.Sync()];
        Assert.Equal(["Z I"], await client.ExchangeAsync(rest));
        Assert.DoesNotContain(harness.Sent, f => f.Text.Contains("VALUES (1)", StringComparison.Ordinal));
    }

    private static void AssertPgproxysRefusal(BackendMessage error)
    {
        Assert.Contains("pgproxy refuses a write calling random()", error.ErrorText, StringComparison.Ordinal);
        var body = Encoding.UTF8.GetString(error.Body);
        Assert.DoesNotContain("PL/pgSQL", body, StringComparison.Ordinal);
        Assert.DoesNotContain("\0W", body, StringComparison.Ordinal); // no CONTEXT field at all
    }
}

using Pgproxy.TestUtilities.Scripted;

namespace Pgproxy.Core.Tests.Replication;

/// <summary>
/// The first query of a REPEATABLE READ or SERIALIZABLE transaction (WritePath.ShareSnapshotAsync): every node runs
/// pgproxy's <c>SELECT 1</c> behind the client's BEGIN, so every node's snapshot is taken while the write gate is
/// closed, before main runs the client's statement. READ COMMITTED transactions send nothing of the kind.
/// </summary>
public sealed class SharedSnapshotTests
{
    private const string Read = "SELECT n FROM t";

    [Fact]
    public async Task Simple_StrictTransaction_EveryNodeTakesItsSnapshotBeforeMainRunsTheFirstQuery()
    {
        await using var harness = new ReplicationHarness(3);
        await using var client = await harness.StartClientAsync();

        Assert.Equal(["C BEGIN", "Z T"], await client.QueryAsync("BEGIN ISOLATION LEVEL REPEATABLE READ"));
        Assert.Equal("Z T", (await client.QueryAsync(Read))[^1]);

        Assert.Equal(["Q BEGIN ISOLATION LEVEL REPEATABLE READ", "Q SELECT 1", "Q " + Read], harness.SentTo(0));
        for (var node = 1; node < 3; node++)
        {
            Assert.Equal(["Q BEGIN ISOLATION LEVEL REPEATABLE READ", "Q SELECT 1"], harness.SentTo(node));
            Assert.True(harness.IndexOf(node, "Q SELECT 1") < harness.IndexOf(0, "Q " + Read));
        }

        Assert.Equal("Z T", (await client.QueryAsync(Read))[^1]); // once per transaction
        Assert.Equal(2, harness.SentTo(0).Count(s => s == "Q " + Read));
        Assert.Single(harness.SentTo(0), "Q SELECT 1");
    }

    [Fact]
    public async Task Simple_SetTransactionBeforeTheFirstQuery_RunsBeforeTheSnapshotIsTaken()
    {
        await using var harness = new ReplicationHarness();
        await using var client = await harness.StartClientAsync();

        await client.QueryAsync("BEGIN ISOLATION LEVEL SERIALIZABLE");
        Assert.Equal(["C SET", "Z T"], await client.QueryAsync("SET TRANSACTION DEFERRABLE"));
        await client.QueryAsync(Read);

        Assert.Equal(
            ["Q BEGIN ISOLATION LEVEL SERIALIZABLE", "Q SET TRANSACTION DEFERRABLE", "Q SELECT 1", "Q " + Read],
            harness.SentTo(0));
    }

    [Fact]
    public async Task Simple_ReadCommittedTransaction_SendsNoSnapshotQuery()
    {
        await using var harness = new ReplicationHarness();
        await using var client = await harness.StartClientAsync();

        await client.QueryAsync("BEGIN ISOLATION LEVEL READ COMMITTED");
        await client.QueryAsync(Read);
        await client.QueryAsync("COMMIT");

        Assert.DoesNotContain("Q SELECT 1", harness.SentTo(0));
        Assert.DoesNotContain("Q SELECT 1", harness.SentTo(1));
    }

    /// <summary>
    /// A READ ONLY transaction writes nothing the nodes must agree on; and a SERIALIZABLE READ ONLY DEFERRABLE one
    /// waits for serializable writers to finish before its snapshot, so taken behind the write gate it would wait
    /// on their commits, which wait on the gate.
    /// </summary>
    [Theory]
    [InlineData("BEGIN ISOLATION LEVEL SERIALIZABLE READ ONLY DEFERRABLE", null)]
    [InlineData("BEGIN ISOLATION LEVEL REPEATABLE READ", "SET TRANSACTION READ ONLY")]
    public async Task Simple_ReadOnlyStrictTransaction_SendsNoSnapshotQuery(string begin, string? set)
    {
        await using var harness = new ReplicationHarness();
        await using var client = await harness.StartClientAsync();

        await client.QueryAsync(begin);
        if (set is not null)
        {
            await client.QueryAsync(set);
        }

        Assert.Equal("Z T", (await client.QueryAsync(Read))[^1]);

        Assert.DoesNotContain("Q SELECT 1", harness.SentTo(0));
        Assert.Contains("Q " + Read, harness.SentTo(0));
    }

    [Fact]
    public async Task Simple_ReadWriteAgainBeforeTheFirstQuery_SharesTheSnapshot()
    {
        await using var harness = new ReplicationHarness();
        await using var client = await harness.StartClientAsync();

        await client.QueryAsync("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
        await client.QueryAsync("SET TRANSACTION READ WRITE");
        await client.QueryAsync(Read);

        Assert.True(harness.IndexOf(1, "Q SELECT 1") < harness.IndexOf(0, "Q " + Read));
    }

    /// <summary>
    /// pgjdbc sends BEGIN in the group of the transaction's first query: pgproxy opens the transaction with that
    /// BEGIN and takes the snapshot on every node first, then the group runs as sent.
    /// </summary>
    [Fact]
    public async Task Extended_BeginInTheGroupOfTheFirstQuery_EveryNodeTakesItsSnapshotBeforeMainRunsIt()
    {
        const string begin = "BEGIN ISOLATION LEVEL REPEATABLE READ";
        await using var harness = new ReplicationHarness(3);
        await using var client = await harness.StartClientAsync();

        byte[] group = [.. ClientFrames.Parse("", begin), .. ClientFrames.Bind(), .. ClientFrames.Execute(),
            .. ClientFrames.Parse("", Read), .. ClientFrames.Bind(), .. ClientFrames.Execute(), .. ClientFrames.Sync()];
        var replies = await client.ExchangeAsync(group);

        Assert.Equal("Z T", replies[^1]);
        Assert.DoesNotContain(replies, r => r.StartsWith('E') || r.StartsWith('N'));
        for (var node = 0; node < 3; node++)
        {
            Assert.Equal(["Q " + begin, "Q SELECT 1"], harness.SentTo(node).Take(2));
            Assert.True(harness.IndexOf(node, "Q SELECT 1") < harness.IndexOf(0, "P :" + Read));
        }

        // The next transaction's group too, and a READ COMMITTED one's never.
        await client.QueryAsync("COMMIT");
        await client.ExchangeAsync(group);
        Assert.Equal(2, harness.SentTo(1).Count(s => s == "Q SELECT 1"));
        await client.QueryAsync("COMMIT");
        byte[] readCommitted = [.. ClientFrames.Parse("", "BEGIN"), .. ClientFrames.Bind(), .. ClientFrames.Execute(),
            .. ClientFrames.Parse("", Read), .. ClientFrames.Bind(), .. ClientFrames.Execute(), .. ClientFrames.Sync()];
        await client.ExchangeAsync(readCommitted);
        Assert.Equal(2, harness.SentTo(1).Count(s => s == "Q SELECT 1"));
    }
}

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
        Assert.Equal(["C SET", "Z T"], await client.QueryAsync("SET TRANSACTION READ ONLY"));
        await client.QueryAsync(Read);

        Assert.Equal(["Q BEGIN ISOLATION LEVEL SERIALIZABLE", "Q SET TRANSACTION READ ONLY", "Q SELECT 1", "Q " + Read],
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
}

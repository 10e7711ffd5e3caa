using Pgproxy.TestUtilities.Scripted;

namespace Pgproxy.Core.Tests.Replication;

/// <summary>
/// insert_lock's lock is held to the end of the transaction, so it must come right before the INSERT that needs it,
/// not before the pipeline's earlier statements: taken before a batch's UPDATE, it was held while that UPDATE
/// waited for a row lock, and transactions that updated first and then inserted deadlocked with the batch
/// (through two real nodes, 116 of 360 transactions failed with 40P01; directly none).
/// </summary>
public sealed class InsertLockPlacementTests
{
    private const string Update = "UPDATE k SET n = n + 1 WHERE id = 1";
    private const string Insert = "INSERT INTO s (v) VALUES (1)";

    /// <summary>Node 0's statements in the order it ran them, the lock query shown as "LOCK".</summary>
    private readonly List<string> _ranOnMain = [];

    private ReplicationHarness HarnessWithSerialTable()
    {
        var harness = new ReplicationHarness(configure: o => o with { InsertLock = true });
        harness.Node(0).On(s =>
        {
            lock (_ranOnMain)
            {
                _ranOnMain.Add(s.Sql.Contains("pg_advisory_xact_lock", StringComparison.Ordinal) ? "LOCK" : s.Sql);
            }

            return false;
        }, NodeReply.Empty());
        harness.Node(0).On(s => s.Sql.Contains("pg_catalog.pg_attribute", StringComparison.Ordinal),
            NodeReply.Values("1"));
        return harness;
    }

    /// <summary>The client's statements and the lock query main ran, from <paramref name="from"/> up to the INSERT.</summary>
    private List<string> MainRanUpToInsert(string from)
    {
        lock (_ranOnMain)
        {
            var ran = _ranOnMain.Where(s => s is "BEGIN" or "LOCK" or Update or Insert).ToList();
            return ran[ran.IndexOf(from)..(ran.IndexOf(Insert) + 1)];
        }
    }

    [Fact]
    public async Task ABatchInItsOwnBlock_TakesTheLockAfterItsUpdate_RightBeforeItsInsert()
    {
        await using var harness = HarnessWithSerialTable();
        await using var client = await harness.StartClientAsync();

        Assert.Equal(["1", "2", "n", "C BEGIN", "1", "2", "n", "C UPDATE 1", "1", "2", "n", "C INSERT 0 1",
                "1", "2", "n", "C COMMIT", "Z I"],
            await client.ExchangeAsync(ClientFrames.Group("BEGIN", Update, Insert, "COMMIT")));

        Assert.Equal([Update, "LOCK", Insert], MainRanUpToInsert(Update));
    }

    [Fact]
    public async Task APipelineInsideTheClientsTransaction_TakesTheLockRightBeforeItsInsert()
    {
        await using var harness = HarnessWithSerialTable();
        await using var client = await harness.StartClientAsync();

        await client.QueryAsync("BEGIN");
        Assert.Equal(["1", "2", "n", "C UPDATE 1", "1", "2", "n", "C INSERT 0 1", "Z T"],
            await client.ExchangeAsync(ClientFrames.Group(Update, Insert)));
        Assert.Equal(["C COMMIT", "Z I"], await client.QueryAsync("COMMIT"));

        Assert.Equal([Update, "LOCK", Insert], MainRanUpToInsert(Update));
        Assert.Contains("P :" + Insert, harness.SentTo(1));
    }

    [Fact]
    public async Task ABatchOpeningItsTransactionWithoutCommit_StillTakesTheLock()
    {
        // {BEGIN; INSERT} Sync ran whole: main was outside a block when the group came, and got no lock at all.
        await using var harness = HarnessWithSerialTable();
        await using var client = await harness.StartClientAsync();

        Assert.Equal(["1", "2", "n", "C BEGIN", "1", "2", "n", "C INSERT 0 1", "Z T"],
            await client.ExchangeAsync(ClientFrames.Group("BEGIN", Insert)));
        Assert.Equal(["C COMMIT", "Z I"], await client.QueryAsync("COMMIT"));

        Assert.Equal(["BEGIN", "LOCK", Insert], MainRanUpToInsert("BEGIN"));
    }
}

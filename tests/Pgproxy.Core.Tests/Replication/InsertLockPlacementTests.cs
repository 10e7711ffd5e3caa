using Pgproxy.Protocol.Messages;
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

    private readonly MainStatementLog _main = new();

    /// <summary>The INSERT and what main ran after it: lock statements, the UPDATE, COMMIT and ROLLBACK.</summary>
    private List<string> MainRanFromInsert()
    {
        var ran = _main.Ran(Update, Insert, "COMMIT", "ROLLBACK");
        return ran[ran.IndexOf(Insert)..];
    }

    /// <summary>The client's statements and the lock main ran, from <paramref name="from"/> up to the INSERT.</summary>
    private List<string> MainRanUpToInsert(string from)
    {
        var ran = _main.Ran("BEGIN", Update, Insert);
        return ran[ran.IndexOf(from)..(ran.IndexOf(Insert) + 1)];
    }

    [Fact]
    public async Task ABatchInItsOwnBlock_TakesTheLockAfterItsUpdate_RightBeforeItsInsert()
    {
        await using var harness = _main.Harness;
        await using var client = await harness.StartClientAsync();

        Assert.Equal(["1", "2", "n", "C BEGIN", "1", "2", "n", "C UPDATE 1", "1", "2", "n", "C INSERT 0 1",
                "1", "2", "n", "C COMMIT", "Z I"],
            await client.ExchangeAsync(ClientFrames.Group("BEGIN", Update, Insert, "COMMIT")));

        Assert.Equal([Update, "LOCK", Insert], MainRanUpToInsert(Update));
        Assert.Equal([Insert, "UNLOCK", "COMMIT"], MainRanFromInsert());
    }

    [Fact]
    public async Task APipelineInsideTheClientsTransaction_TakesTheLockRightBeforeItsInsert()
    {
        await using var harness = _main.Harness;
        await using var client = await harness.StartClientAsync();

        await client.QueryAsync("BEGIN");
        Assert.Equal(["1", "2", "n", "C UPDATE 1", "1", "2", "n", "C INSERT 0 1", "Z T"],
            await client.ExchangeAsync(ClientFrames.Group(Update, Insert)));
        Assert.Equal(["C COMMIT", "Z I"], await client.QueryAsync("COMMIT"));
        await client.QueryAsync("SELECT 1"); // a release after the COMMIT follows its answer: done by the next request

        Assert.Equal([Update, "LOCK", Insert], MainRanUpToInsert(Update));
        Assert.Equal([Insert, "UNLOCK", "COMMIT"], MainRanFromInsert());
        Assert.Contains("P :" + Insert, harness.SentTo(1));
    }

    [Fact]
    public async Task ABatchOpeningItsTransactionWithoutCommit_StillTakesTheLock()
    {
        // {BEGIN; INSERT} Sync ran whole: main was outside a block when the group came, and got no lock at all.
        await using var harness = _main.Harness;
        await using var client = await harness.StartClientAsync();

        Assert.Equal(["1", "2", "n", "C BEGIN", "1", "2", "n", "C INSERT 0 1", "Z T"],
            await client.ExchangeAsync(ClientFrames.Group("BEGIN", Insert)));
        Assert.Equal(["C COMMIT", "Z I"], await client.QueryAsync("COMMIT"));

        Assert.Equal(["BEGIN", "LOCK", Insert], MainRanUpToInsert("BEGIN"));
    }

    [Fact]
    public async Task AnAutocommitBatch_RunsOnMainInTwoParts_TakingTheLockRightBeforeItsInsert()
    {
        // An Npgsql batch {UPDATE; INSERT} outside a transaction (an EF Core SaveChanges): pgproxy's own transaction
        // took the lock before the UPDATE, and held it while the UPDATE waited for a row.
        await using var harness = _main.Harness;
        await using var client = await harness.StartClientAsync();

        Assert.Equal(["1", "2", "n", "C UPDATE 1", "1", "2", "n", "C INSERT 0 1", "Z I"],
            await client.ExchangeAsync(ClientFrames.Group(Update, Insert)));

        Assert.Equal(["BEGIN", Update, "XLOCK", Insert], MainRanUpToInsert("BEGIN"));
        Assert.Contains("P :" + Update, harness.SentTo(1));
        Assert.Contains("P :" + Insert, harness.SentTo(1));
        Assert.Equal(TransactionStatus.Idle, harness.Connection(0).Status);
        Assert.Equal(TransactionStatus.Idle, harness.Connection(1).Status);
    }

    [Fact]
    public async Task AnAutocommitBatchWhoseUpdateFails_TakesNoLock_AndFailsAsDirectly()
    {
        await using var harness = _main.Harness;
        harness.Node(0).On(Update, NodeReply.Error("40P01"));
        harness.Node(1).On(Update, NodeReply.Error("40P01"));
        await using var client = await harness.StartClientAsync();

        Assert.Equal(["1", "2", "n", "E 40P01", "Z I"], await client.ExchangeAsync(ClientFrames.Group(Update, Insert)));

        Assert.DoesNotContain("XLOCK", _main.Ran(Update));
        Assert.DoesNotContain(Insert, _main.Ran(Insert));
        Assert.Equal(["C SELECT 1", "Z I"], (await client.QueryAsync("SELECT 3")).TakeLast(2));
        Assert.Equal(TransactionStatus.Idle, harness.Connection(0).Status);
    }

    [Fact]
    public async Task ABatchInsertingThenUpdatingInATransaction_ReleasesTheLockBeforeItsUpdate()
    {
        // EF Core's SaveChanges of an added and a changed entity: held on, the lock was held while the UPDATE waited
        // for a row that a transaction waiting for the lock held (8 clients over 10 rows: 20 of 60 failed with 40P01).
        await using var harness = _main.Harness;
        await using var client = await harness.StartClientAsync();

        await client.QueryAsync("BEGIN");
        Assert.Equal(["1", "2", "n", "C INSERT 0 1", "1", "2", "n", "C UPDATE 1", "Z T"],
            await client.ExchangeAsync(ClientFrames.Group(Insert, Update)));
        Assert.Equal(["C COMMIT", "Z I"], await client.QueryAsync("COMMIT"));

        Assert.Equal(["LOCK", Insert, "UNLOCK", Update, "COMMIT"], _main.Ran(Update, Insert, "COMMIT"));
    }

    [Fact]
    public async Task ABatchWhoseInsertFails_SendsNoUnlockIntoTheSkippedPipeline_AndReleasesAfterRollback()
    {
        // After the error main skips to the Sync: an unlock sent there would never be answered, and its wait would
        // take the Sync's ReadyForQuery.
        await using var harness = _main.Harness;
        harness.Node(0).On(Insert, NodeReply.Error("23505"));
        harness.Node(1).On(Insert, NodeReply.Error("23505"));
        await using var client = await harness.StartClientAsync();

        Assert.Equal(["1", "2", "n", "C BEGIN", "1", "2", "n", "E 23505", "Z E"],
            await client.ExchangeAsync(ClientFrames.Group("BEGIN", Insert, Update, "COMMIT")).WaitAsync(Bound));
        Assert.Equal(["C ROLLBACK", "Z I"], await client.QueryAsync("ROLLBACK").WaitAsync(Bound));
        Assert.Equal(["C SELECT 1", "Z I"], (await client.QueryAsync("SELECT 3").WaitAsync(Bound)).TakeLast(2));

        Assert.Equal(["LOCK", Insert, "ROLLBACK", "UNLOCK"], _main.Ran(Update, Insert, "ROLLBACK"));
    }

    [Fact]
    public async Task AnAutocommitBatchInsertingFirst_ReleasesTheLockOnceEveryNodeRanTheInsert_BeforeItsUpdate()
    {
        // An Npgsql batch {INSERT; UPDATE} outside a transaction: pgproxy's own transaction held the lock to its end,
        // while the UPDATE waited for a row that a transaction waiting for the lock held (27 done, 20 failed in 5 s).
        await using var harness = _main.Harness;
        var order = RecordOrder(harness, Update, Insert);
        await using var client = await harness.StartClientAsync();

        Assert.Equal(["1", "2", "n", "C INSERT 0 1", "1", "2", "n", "C UPDATE 1", "Z I"],
            await client.ExchangeAsync(ClientFrames.Group(Insert, Update)).WaitAsync(Bound));

        Assert.Equal(["LOCK", Insert, "UNLOCK", Update], _main.Ran(Update, Insert));
        // The others drew the INSERT's values before main let the next inserter have the lock.
        Assert.Equal(["0 " + Insert, "1 " + Insert, "0 UNLOCK", "0 " + Update, "1 " + Update], order);
        Assert.Equal(TransactionStatus.Idle, harness.Connection(0).Status);
        Assert.Equal(TransactionStatus.Idle, harness.Connection(1).Status);
    }

    [Fact]
    public async Task AnAutocommitBatchWhoseUpdateFailsAfterItsInsert_RunsTheInsertOnceEverywhere_AndRollsBack()
    {
        await using var harness = _main.Harness;
        harness.Node(0).On(Update, NodeReply.Error("40P01"));
        harness.Node(1).On(Update, NodeReply.Error("40P01"));
        var order = RecordOrder(harness, Update, Insert);
        await using var client = await harness.StartClientAsync();

        Assert.Equal(["1", "2", "n", "C INSERT 0 1", "1", "2", "n", "E 40P01", "Z I"],
            await client.ExchangeAsync(ClientFrames.Group(Insert, Update)).WaitAsync(Bound));

        Assert.Equal(["LOCK", Insert, "UNLOCK", Update, "ROLLBACK"], _main.Ran(Update, Insert, "ROLLBACK"));
        Assert.Single(order, "1 " + Insert);
        Assert.Equal(["C SELECT 1", "Z I"], (await client.QueryAsync("SELECT 3").WaitAsync(Bound)).TakeLast(2));
        Assert.Equal(TransactionStatus.Idle, harness.Connection(0).Status);
        Assert.Equal(TransactionStatus.Idle, harness.Connection(1).Status);
    }

    [Fact]
    public async Task AnAutocommitBatchWhoseInsertFails_SendsTheOthersNothingAhead_AndReleasesTheLock()
    {
        await using var harness = _main.Harness;
        harness.Node(0).On(Insert, NodeReply.Error("23505"));
        harness.Node(1).On(Insert, NodeReply.Error("23505"));
        var order = RecordOrder(harness, Update, Insert);
        await using var client = await harness.StartClientAsync();

        Assert.Equal(["1", "2", "n", "E 23505", "Z I"],
            await client.ExchangeAsync(ClientFrames.Group(Insert, Update)).WaitAsync(Bound));
        Assert.Equal(["C SELECT 1", "Z I"], (await client.QueryAsync("SELECT 3").WaitAsync(Bound)).TakeLast(2));

        Assert.Equal(["LOCK", Insert, "ROLLBACK", "UNLOCK"], _main.Ran(Update, Insert, "ROLLBACK"));
        Assert.DoesNotContain("0 " + Update, order);
        Assert.DoesNotContain("1 " + Update, order);
        Assert.Equal(TransactionStatus.Idle, harness.Connection(0).Status);
        Assert.Equal(TransactionStatus.Idle, harness.Connection(1).Status);
    }

    [Fact]
    public async Task AnAutocommitBatchWhoseInsertFailsOnAnotherNodeOnly_KeepsTheLockToItsEnd_AndFailsEverywhere()
    {
        await using var harness = _main.Harness;
        harness.Node(1).On(Insert, NodeReply.Error("23505"));
        var order = RecordOrder(harness, Update, Insert);
        await using var client = await harness.StartClientAsync();

        Assert.Equal(["1", "2", "n", "E XX001", "Z I"],
            await client.ExchangeAsync(ClientFrames.Group(Insert, Update)).WaitAsync(Bound));
        Assert.Equal(["C SELECT 1", "Z I"], (await client.QueryAsync("SELECT 3").WaitAsync(Bound)).TakeLast(2));

        // Released only once the write ended: the write path may level that node's sequences under it first.
        Assert.Equal(["LOCK", Insert, Update, "ROLLBACK", "UNLOCK"], _main.Ran(Update, Insert, "ROLLBACK"));
        Assert.Equal(["Q BEGIN", "P :" + Insert, "B :", "D P", "E ", "H", "P :" + Update, "B :", "D P", "E ", "S",
            "Q ROLLBACK"], harness.SentTo(1).SkipWhile(f => f != "Q BEGIN").Take(12));
        Assert.DoesNotContain("1 " + Update, order);
        Assert.Equal(TransactionStatus.Idle, harness.Connection(1).Status);
    }

    /// <summary>
    /// Each node's runs of <paramref name="kept"/> (and main's release of the lock) as "node statement", in the order
    /// the nodes ran them.
    /// </summary>
    private static List<string> RecordOrder(ReplicationHarness harness, params string[] kept)
    {
        var order = new List<string>();
        for (var node = 0; node < 2; node++)
        {
            var id = node;
            harness.Node(node).On(s =>
            {
                var label = s.Sql.Contains("pg_advisory_unlock(", StringComparison.Ordinal) ? "UNLOCK" : s.Sql;
                if (kept.Contains(label) || label == "UNLOCK")
                {
                    lock (order)
                    {
                        order.Add($"{id} {label}");
                    }
                }

                return false;
            }, NodeReply.Empty());
        }

        return order;
    }

    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);
}

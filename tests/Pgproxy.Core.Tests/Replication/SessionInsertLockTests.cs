using Pgproxy.TestUtilities.Scripted;

namespace Pgproxy.Core.Tests.Replication;

/// <summary>
/// An INSERT sent alone inside the client's transaction takes insert_lock's lock at session level, and pgproxy
/// releases it ahead of main's next statement instead of at the end of the transaction. Held to the end, a
/// transaction that inserted and then waited for a row lock deadlocked with one that had updated that row and then
/// waited to insert (through two real nodes 23 of 58 such transactions failed with 40P01 in 5 s; directly none). A
/// session-level lock outlives the transaction, so every way out of it must release the lock.
/// </summary>
public sealed class SessionInsertLockTests
{
    private const string Insert = "INSERT INTO s (v) VALUES (1)";
    private const string Duplicate = "duplicate key value violates unique constraint";
    private const string Update = "UPDATE k SET n = 1 WHERE id = 1";

    private readonly MainStatementLog _main = new();

    private List<string> RanOnMain() => _main.Ran("COMMIT", "ROLLBACK", Insert, Update);

    [Fact]
    public async Task TheLockIsReleasedAheadOfMainsNextStatement_NotAtTheEndOfTheTransaction()
    {
        await using var harness = _main.Harness;
        await using var client = await harness.StartClientAsync();

        await client.QueryAsync("BEGIN");
        Assert.Equal(["C INSERT 0 1", "Z T"], await client.QueryAsync(Insert));
        Assert.Equal(["C UPDATE 1", "Z T"], await client.QueryAsync(Update));
        Assert.Equal(["C COMMIT", "Z I"], await client.QueryAsync("COMMIT"));

        Assert.Equal(["LOCK", Insert, "UNLOCK", Update, "COMMIT"], RanOnMain());
        Assert.Contains(harness.SentTo(0),
            f => f.Contains("pg_advisory_unlock(1885826168, 16391::", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AfterAFailedInsert_TheClientsRollbackIsFollowedByTheRelease()
    {
        await using var harness = _main.Harness;
        harness.Node(0).On(Insert, NodeReply.Error("23505", Duplicate), times: 1);
        harness.Node(1).On(Insert, NodeReply.Error("23505", Duplicate), times: 1);
        await using var client = await harness.StartClientAsync();

        await client.QueryAsync("BEGIN");
        Assert.Equal(["E 23505", "Z E"], await client.QueryAsync(Insert));
        Assert.Equal(["C ROLLBACK", "Z I"], await client.QueryAsync("ROLLBACK"));
        await client.QueryAsync("SELECT 1"); // the release follows the ROLLBACK's answer: done by the next request

        Assert.Equal(["LOCK", Insert, "ROLLBACK", "UNLOCK"], RanOnMain());
    }

    [Fact]
    public async Task AnUnlockThatACancelInterrupted_IsSentAgainOnceTheTransactionIsOver()
    {
        await using var harness = _main.Harness;
        harness.Node(0).On(s => s.Sql.Contains("pg_advisory_unlock(", StringComparison.Ordinal),
            NodeReply.Error("57014", "canceling statement due to user request"), times: 1);
        await using var client = await harness.StartClientAsync();

        await client.QueryAsync("BEGIN");
        await client.QueryAsync(Insert);
        // The cancel meant for the UPDATE met the release ahead of it: the client sees its cancel there.
        Assert.Equal(["E 57014", "Z E"], await client.QueryAsync(Update));
        Assert.Equal(["C ROLLBACK", "Z I"], await client.QueryAsync("ROLLBACK"));
        await client.QueryAsync("SELECT 1");

        Assert.Equal(["LOCK", Insert, "UNLOCK", "ROLLBACK", "UNLOCK"], RanOnMain());
    }

    [Fact]
    public async Task InPgproxysOwnTransaction_TheLockStaysTransactionLevel()
    {
        await using var harness = _main.Harness;
        await using var client = await harness.StartClientAsync();

        Assert.Equal(["C INSERT 0 1", "Z I"], await client.QueryAsync(Insert));

        Assert.Equal(["XLOCK", Insert, "COMMIT"], RanOnMain());
    }
}

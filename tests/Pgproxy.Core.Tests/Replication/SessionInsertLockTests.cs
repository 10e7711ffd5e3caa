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
    private const string Update = "UPDATE k SET n = 1 WHERE id = 1";

    /// <summary>
    /// Main's statements in the order it ran them: the session-level lock "LOCK", its release "UNLOCK", the
    /// transaction-level lock "XLOCK".
    /// </summary>
    private readonly List<string> _ranOnMain = [];

    private ReplicationHarness Harness()
    {
        var harness = new ReplicationHarness(configure: o => o with { InsertLock = true });
        harness.Node(0).On(s =>
        {
            lock (_ranOnMain)
            {
                _ranOnMain.Add(s.Sql.Contains("pg_advisory_lock(", StringComparison.Ordinal) ? "LOCK"
                    : s.Sql.Contains("pg_advisory_unlock(", StringComparison.Ordinal) ? "UNLOCK"
                    : s.Sql.Contains("pg_advisory_xact_lock(", StringComparison.Ordinal) ? "XLOCK"
                    : s.Sql);
            }

            return false;
        }, NodeReply.Empty());
        harness.Node(0).On(s => s.Sql.Contains("pg_catalog.pg_attribute", StringComparison.Ordinal),
            NodeReply.Values("1"));
        harness.Node(0).On(s => s.Sql.Contains("pg_advisory_lock(", StringComparison.Ordinal), NodeReply.Values("16391"));
        return harness;
    }

    private List<string> RanOnMain()
    {
        lock (_ranOnMain)
        {
            return [.. _ranOnMain.Where(s => s is "LOCK" or "UNLOCK" or "XLOCK" or "COMMIT" or "ROLLBACK" or Insert or Update)];
        }
    }

    [Fact]
    public async Task TheLockIsReleasedAheadOfMainsNextStatement_NotAtTheEndOfTheTransaction()
    {
        await using var harness = Harness();
        await using var client = await harness.StartClientAsync();

        await client.QueryAsync("BEGIN");
        Assert.Equal(["C INSERT 0 1", "Z T"], await client.QueryAsync(Insert));
        Assert.Equal(["C UPDATE 1", "Z T"], await client.QueryAsync(Update));
        Assert.Equal(["C COMMIT", "Z I"], await client.QueryAsync("COMMIT"));

        Assert.Equal(["LOCK", Insert, "UNLOCK", Update, "COMMIT"], RanOnMain());
        Assert.Contains(harness.SentTo(0), f => f.Contains("pg_advisory_unlock(1885826168, 16391::", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AfterAFailedInsert_TheClientsRollbackIsFollowedByTheRelease()
    {
        await using var harness = Harness();
        harness.Node(0).On(Insert, NodeReply.Error("23505", "duplicate key value violates unique constraint"), times: 1);
        harness.Node(1).On(Insert, NodeReply.Error("23505", "duplicate key value violates unique constraint"), times: 1);
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
        await using var harness = Harness();
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
        await using var harness = Harness();
        await using var client = await harness.StartClientAsync();

        Assert.Equal(["C INSERT 0 1", "Z I"], await client.QueryAsync(Insert));

        Assert.Equal(["XLOCK", Insert, "COMMIT"], RanOnMain());
    }
}

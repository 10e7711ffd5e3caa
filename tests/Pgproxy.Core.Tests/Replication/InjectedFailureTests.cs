using Pgproxy.Protocol.Messages;
using Pgproxy.TestUtilities.Scripted;

namespace Pgproxy.Core.Tests.Replication;

/// <summary>
/// A query pgproxy injects ahead of the client's statement fails there for a reason of timing: the usual case is the
/// client's cancel landing while main waits for insert_lock's lock. PostgreSQL would have cancelled the statement
/// itself, so the client sees that error (57014), not the 25P02 the aborted transaction then gave its statement.
/// Found with 8 Npgsql clients cancelling 0–4 ms after each statement: half their cancelled INSERTs, autocommit
/// ones too, came back "current transaction is aborted".
/// </summary>
public sealed class InjectedFailureTests
{
    private const string Insert = "INSERT INTO s (v) VALUES (1)";
    private const string Cancelled = "canceling statement due to user request";

    private static ReplicationHarness HarnessWithCancelledLock()
    {
        var harness = new ReplicationHarness(configure: o => o with { InsertLock = true });
        harness.Node(0).On(s => s.Sql.Contains("pg_catalog.pg_attribute", StringComparison.Ordinal),
            NodeReply.Values("1"));
        // The transaction-level lock of pgproxy's own transaction, the session-level one in the client's.
        harness.Node(0).On(s => s.Sql.Contains("FROM pg_catalog.pg_advisory_", StringComparison.Ordinal),
            NodeReply.Error("57014", Cancelled), times: 1);
        return harness;
    }

    [Fact]
    public async Task Autocommit_CancelOnTheLockQuery_TheClientGetsTheCancel_AndNoNodeKeepsTheInsert()
    {
        await using var harness = HarnessWithCancelledLock();
        await using var client = await harness.StartClientAsync();

        Assert.Equal(["E 57014", "Z I"], await client.QueryAsync(Insert));

        Assert.DoesNotContain("Q " + Insert, harness.SentTo(1));
        Assert.Equal("Q ROLLBACK", harness.SentTo(0)[^1]);
        Assert.Equal(["C INSERT 0 1", "Z I"], await client.QueryAsync(Insert)); // the next one runs
    }

    [Fact]
    public async Task Extended_CancelOnTheLockQuery_TheClientGetsTheCancel()
    {
        await using var harness = HarnessWithCancelledLock();
        await using var client = await harness.StartClientAsync();

        Assert.Equal(["1", "2", "n", "E 57014", "Z I"], await client.ExchangeAsync(ClientFrames.Group(Insert)));

        Assert.DoesNotContain(harness.SentTo(1), f => f.Contains(Insert, StringComparison.Ordinal));
    }

    [Fact]
    public async Task InTheClientsTransaction_TheCancelFailsIt_AndTheNextStatementGets25P02AsDirectly()
    {
        await using var harness = HarnessWithCancelledLock();
        await using var client = await harness.StartClientAsync();

        await client.QueryAsync("BEGIN");
        Assert.Equal(["E 57014", "Z E"], await client.QueryAsync(Insert));
        Assert.Equal(["E 25P02", "Z E"], await client.QueryAsync("SELECT 1"));
        Assert.Equal(["C ROLLBACK", "Z I"], await client.QueryAsync("ROLLBACK"));

        Assert.Equal(TransactionStatus.Idle, harness.Connection(0).Status);
        Assert.Equal(TransactionStatus.Idle, harness.Connection(1).Status);
    }
}

using Pgproxy.Core.Routing;
using Pgproxy.Protocol.Messages;

namespace Pgproxy.Core.Tests.Routing;

/// <summary>The routing rules of replication mode as a table (DESIGN §3).</summary>
public sealed class RouterTests
{
    public static TheoryData<string, TransactionStatus, string> Decisions => new()
    {
        { "SELECT 1", TransactionStatus.Idle, nameof(RouteDecision.Read) },
        { "SELECT 1", TransactionStatus.InTransaction, nameof(RouteDecision.Read) },
        { "SELECT * FROM jobs FOR UPDATE SKIP LOCKED", TransactionStatus.InTransaction, nameof(RouteDecision.ReadOnMainAndPin) },
        { "SELECT pg_terminate_backend(4242)", TransactionStatus.Idle, nameof(RouteDecision.ReadOnMainAndPin) },
        { "SELECT pg_catalog.pg_cancel_backend(4242)", TransactionStatus.Idle, nameof(RouteDecision.ReadOnMainAndPin) },
        { "SELECT * FROM pg_create_logical_replication_slot('s1', 'test_decoding')", TransactionStatus.Idle, nameof(RouteDecision.ReadOnMainAndPin) },
        { "SELECT pg_drop_replication_slot('s1')", TransactionStatus.Idle, nameof(RouteDecision.ReadOnMainAndPin) },
        { "SELECT count(*) FROM pg_logical_slot_peek_changes('s1', NULL, NULL)", TransactionStatus.Idle, nameof(RouteDecision.ReadOnMainAndPin) },
        { "SELECT data FROM pg_logical_slot_get_changes('s1', NULL, NULL)", TransactionStatus.InTransaction, nameof(RouteDecision.ReadOnMainAndPin) },
        { "SELECT txid_current()", TransactionStatus.InTransaction, nameof(RouteDecision.ReadOnMainAndPin) },
        { "SELECT txid_status(42)", TransactionStatus.Idle, nameof(RouteDecision.ReadOnMainAndPin) },
        { "SELECT pg_catalog.pg_xact_status('42'::xid8)", TransactionStatus.Idle, nameof(RouteDecision.ReadOnMainAndPin) },
        { "SELECT pg_current_xact_id()", TransactionStatus.InTransaction, nameof(RouteDecision.ReadOnMainAndPin) },
        { "SELECT pg_backend_pid()", TransactionStatus.Idle, nameof(RouteDecision.ReadOnMainAndPin) },
        { "SELECT pg_my_temp_schema()::regnamespace", TransactionStatus.Idle, nameof(RouteDecision.ReadOnMainAndPin) },
        { "SELECT pg_stat_get_xact_function_calls(16384)", TransactionStatus.InTransaction, nameof(RouteDecision.ReadOnMainAndPin) },
        { "SELECT pg_stat_get_function_calls(16384)", TransactionStatus.Idle, nameof(RouteDecision.Read) },
        { "SELECT gid FROM pg_prepared_xacts", TransactionStatus.Idle, nameof(RouteDecision.ReadOnMainAndPin) },
        { "SELECT count(*) FROM pg_catalog.PG_PREPARED_XACTS WHERE gid = 'x'", TransactionStatus.InTransaction, nameof(RouteDecision.ReadOnMainAndPin) },
        { "SELECT 'pg_prepared_xacts'", TransactionStatus.Idle, nameof(RouteDecision.Read) },
        { "SELECT * FROM pg_replication_slots WHERE slot_name = 's'", TransactionStatus.Idle, nameof(RouteDecision.ReadOnMainAndPin) },
        { "SELECT application_name FROM pg_catalog.pg_stat_replication", TransactionStatus.Idle, nameof(RouteDecision.ReadOnMainAndPin) },
        { "SELECT spill_txns FROM pg_stat_replication_slots", TransactionStatus.InTransaction, nameof(RouteDecision.ReadOnMainAndPin) },
        { "SELECT 'pg_replication_slots'", TransactionStatus.Idle, nameof(RouteDecision.Read) },
        { "UPDATE t SET v = 1", TransactionStatus.Idle, nameof(RouteDecision.WriteInInternalTransaction) },
        { "UPDATE t SET v = 1", TransactionStatus.InTransaction, nameof(RouteDecision.Write) },
        { "BEGIN; UPDATE t SET v = 1; COMMIT", TransactionStatus.Idle, nameof(RouteDecision.Write) },
        { "VACUUM t", TransactionStatus.Idle, nameof(RouteDecision.WriteOutsideTransaction) },
        { "CREATE DATABASE d", TransactionStatus.Idle, nameof(RouteDecision.WriteOutsideTransaction) },
        { "BEGIN", TransactionStatus.Idle, nameof(RouteDecision.Begin) },
        { "START TRANSACTION ISOLATION LEVEL SERIALIZABLE", TransactionStatus.Idle, nameof(RouteDecision.Begin) },
        { "COMMIT", TransactionStatus.InTransaction, nameof(RouteDecision.EndTransaction) },
        { "ROLLBACK", TransactionStatus.InTransaction, nameof(RouteDecision.EndTransaction) },
        { "SET search_path = x", TransactionStatus.Idle, nameof(RouteDecision.SessionState) },
        { "SAVEPOINT a", TransactionStatus.InTransaction, nameof(RouteDecision.SessionState) },
        { "SELECT 1", TransactionStatus.Failed, nameof(RouteDecision.AnswerInFailedTransaction) },
        { "UPDATE t SET v = 1", TransactionStatus.Failed, nameof(RouteDecision.AnswerInFailedTransaction) },
        { "SAVEPOINT a", TransactionStatus.Failed, nameof(RouteDecision.AnswerInFailedTransaction) },
        { "ROLLBACK TO SAVEPOINT a", TransactionStatus.Failed, nameof(RouteDecision.SessionState) },
        { "ROLLBACK", TransactionStatus.Failed, nameof(RouteDecision.EndTransaction) },
        { "COMMIT", TransactionStatus.Failed, nameof(RouteDecision.EndTransaction) },
    };

    [Theory]
    [MemberData(nameof(Decisions))]
    public void Decide(string sql, TransactionStatus status, string expected)
    {
        var statement = StatementClassifier.Classify(sql);
        Assert.Equal(Enum.Parse<RouteDecision>(expected), Router.Decide(statement.Kind, statement, new RouteState(status, false, false)));
    }

    [Theory]
    [InlineData(TransactionStatus.Idle, false, false, false, nameof(ReadNode.LoadBalanceNode))]
    [InlineData(TransactionStatus.InTransaction, false, false, false, nameof(ReadNode.LoadBalanceNode))]
    [InlineData(TransactionStatus.InTransaction, true, false, false, nameof(ReadNode.Main))]
    [InlineData(TransactionStatus.InTransaction, false, true, false, nameof(ReadNode.Main))]
    [InlineData(TransactionStatus.Idle, true, true, false, nameof(ReadNode.LoadBalanceNode))]
    [InlineData(TransactionStatus.Failed, true, false, true, nameof(ReadNode.FailedNode))]
    [InlineData(TransactionStatus.Failed, true, false, false, nameof(ReadNode.Main))]
    [InlineData(TransactionStatus.Failed, false, false, false, nameof(ReadNode.LoadBalanceNode))]
    public void ReadNodeOf(TransactionStatus status, bool wrote, bool strict, bool failedNodeLive, string expected)
    {
        Assert.Equal(Enum.Parse<ReadNode>(expected), Router.ReadNode(new RouteState(status, wrote, strict), failedNodeLive));
    }
}

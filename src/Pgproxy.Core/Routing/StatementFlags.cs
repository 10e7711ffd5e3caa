namespace Pgproxy.Core.Routing;

/// <summary>Facts about a query string beyond its <see cref="StatementKind"/>.</summary>
[Flags]
internal enum StatementFlags : uint
{
    None = 0,

    /// <summary>More than one non-empty statement in the string.</summary>
    MultiStatement = 1,

    /// <summary>
    /// BEGIN/START TRANSACTION/SET TRANSACTION/SET SESSION CHARACTERISTICS, or SET [SESSION]
    /// default_transaction_isolation / transaction_isolation, with REPEATABLE READ or SERIALIZABLE: reads of
    /// such a transaction go to main.
    /// </summary>
    StrictIsolation = 2,

    /// <summary>COPY … FROM STDIN: the client will stream CopyData to every node.</summary>
    CopyFromStdin = 4,

    /// <summary>COPY … TO STDOUT, of a table or a query.</summary>
    CopyToStdout = 8,

    /// <summary><see cref="StatementClassification.TimeFunctions"/> is not empty.</summary>
    HasTimeFunctions = 16,

    /// <summary>A multi-statement string that contains BEGIN/COMMIT/ROLLBACK or a savepoint statement.</summary>
    TransactionControlInside = 32,

    /// <summary>The (first) statement is an INSERT, also under WITH or EXPLAIN ANALYZE: see InsertTable.</summary>
    Insert = 64,

    /// <summary>EXPLAIN with ANALYZE: the inner statement really runs.</summary>
    ExplainAnalyze = 128,

    /// <summary>BEGIN/START TRANSACTION READ ONLY (informational).</summary>
    ReadOnlyTransactionStart = 256,

    /// <summary>
    /// Time functions appear in a definition that PostgreSQL stores rather than evaluates now (a column DEFAULT,
    /// a view, a rule, a PREPARE body…). They are left out of TimeFunctions on purpose: replacing them with a
    /// literal would freeze the value on the other nodes for good.
    /// </summary>
    StoredTimeFunctions = 512,

    /// <summary>
    /// SELECT … FOR UPDATE/SHARE … SKIP LOCKED or NOWAIT and nothing else that writes: which rows it locks (or
    /// whether it fails) depends on what other sessions hold at that instant, which differs between nodes. Only
    /// main runs it — main orders every writer anyway — so it is classified a read that must go to main.
    /// </summary>
    LocksOnMainOnly = 1024,

    /// <summary>
    /// A write whose rows are chosen with SKIP LOCKED or NOWAIT (UPDATE … WHERE id IN (SELECT … SKIP LOCKED)):
    /// each node would change the rows it happens to find unlocked.
    /// </summary>
    TimingDependentWrite = 2048,

    /// <summary>
    /// Some statement changes the schema (CREATE except of a temporary object, ALTER, DROP, COMMENT, GRANT,
    /// REVOKE, SECURITY LABEL, IMPORT FOREIGN SCHEMA): refused while a recovery copies main (see SchemaChangeHold).
    /// </summary>
    SchemaChange = 4096,

    /// <summary>
    /// A read of a view of what main alone holds: main answers it. <c>pg_prepared_xacts</c>: only the other nodes
    /// hold pgproxy's own prepared transactions while a two-phase commit is under way (main commits directly), and a
    /// client that reads the view through pgproxy must not see those, as it would not without pgproxy (the
    /// regression suite's prepared_xacts). <c>pg_replication_slots</c>, <c>pg_stat_replication</c> and
    /// <c>pg_stat_replication_slots</c>: slots and walsenders live on main, where replication connections and the
    /// slot functions go (Npgsql's CreateLogicalReplicationSlot read its new slot on node 1 and found none).
    /// </summary>
    ReadsMainOnlyView = 8192,

    /// <summary>
    /// A write that stores what each node knows only of itself: a statistics view's counters, or the physical
    /// columns of <c>pg_class</c> and <c>pg_database</c> (relfilenode, relpages, relfrozenxid …). Every node would
    /// store its own values (see <see cref="StatementParser.StoresNodeState"/>).
    /// </summary>
    StoresNodeState = 16384,

    /// <summary>
    /// BEGIN/START TRANSACTION or SET TRANSACTION naming an isolation level (any): the transaction's level is the one
    /// named, not the session's default_transaction_isolation.
    /// </summary>
    NamesIsolationLevel = 32768,

    /// <summary>
    /// INSERT, UPDATE, DELETE, MERGE or a data-modifying WITH that reads rows besides those it changes: a subquery,
    /// <c>INSERT … SELECT</c>, <c>UPDATE … FROM</c>, <c>DELETE … USING</c>. Under READ COMMITTED each node reads them in
    /// a snapshot of its own, which a commit landing on one node before another can set apart; the rows it locks are
    /// safe (PostgreSQL rereads a locked row's newest version). See WritePath.ShareWriteSnapshotAsync.
    /// </summary>
    ReadsOtherRows = 65536,
}

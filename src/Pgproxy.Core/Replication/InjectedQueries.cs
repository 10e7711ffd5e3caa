using System.Buffers.Binary;
using System.Text;

namespace Pgproxy.Core.Replication;

/// <summary>The Query messages pgproxy sends on its own, encoded once.</summary>
internal static class InjectedQueries
{
    public static readonly byte[] Begin = Encode("BEGIN");

    public static readonly byte[] Commit = Encode("COMMIT");

    public static readonly byte[] Rollback = Encode("ROLLBACK");

    /// <summary>What the others get for a client's COMMIT AND CHAIN of a failed transaction (see TransactionChain).</summary>
    public static readonly byte[] RollbackAndChain = Encode("ROLLBACK AND CHAIN");

    /// <summary>
    /// Main's transaction timestamp in ISO form with an explicit UTC offset, which every node reads back as the
    /// same instant whatever its DateStyle.
    /// </summary>
    public static readonly byte[] SelectNow = Encode(
        "SELECT pg_catalog.to_char(pg_catalog.now() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00'");

    /// <summary>
    /// Main's transaction id, which names the transaction the others prepare (two-phase commit), and its transaction
    /// timestamp as <see cref="SelectNow"/> gives it: both hold for the whole transaction, so a later statement whose
    /// time is rewritten needs no query of its own (one statement less on main per transaction).
    /// </summary>
    public static readonly byte[] SelectXid = Encode(
        "SELECT pg_catalog.pg_current_xact_id(), " +
        "pg_catalog.to_char(pg_catalog.now() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00'");

    /// <summary>
    /// The first query of a REPEATABLE READ or SERIALIZABLE transaction, which takes its snapshot (see
    /// WritePath.ShareSnapshotAsync): any plannable statement does; this one reads nothing.
    /// </summary>
    public static readonly byte[] TakeSnapshot = Encode("SELECT 1");

    /// <summary>Begins the internal transaction of an autocommit write that reads other rows (WritePath).</summary>
    public static readonly byte[] BeginRepeatableRead = Encode("BEGIN ISOLATION LEVEL REPEATABLE READ");

    /// <summary>A Query message for <paramref name="sql"/>.</summary>
    public static byte[] Encode(string sql)
    {
        var length = Encoding.UTF8.GetByteCount(sql);
        var frame = new byte[length + 6];
        frame[0] = (byte)'Q';
        BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(1), length + 5);
        Encoding.UTF8.GetBytes(sql, frame.AsSpan(5));
        return frame;
    }

    /// <summary>
    /// A statement that fails on any node, in any database, with no side effect: the way to put a node's transaction
    /// into the same failed state as the client's when pgproxy itself fails the client's statement. Its own error
    /// (22P02, or 25P02 in a transaction that already failed) is swallowed; the client gets pgproxy's. A cast of a
    /// literal needs no table, function or procedural language, so nothing a database lacks can make it succeed
    /// or fail differently.
    /// </summary>
    public static readonly byte[] FailTransaction = Encode("SELECT 'pgproxy failed the statement'::int");

    /// <summary>Draws the next OID from the node's counter and leaves nothing behind (see OidCounters).</summary>
    public static readonly byte[] DrawOid = Encode(OidCounters.Probe);

    /// <summary>
    /// Makes the backend's temporary schema exist (its first temporary object creates it) and leaves nothing
    /// behind: see WritePath.PrepareTemporarySchemasAsync.
    /// </summary>
    public static readonly byte[] TemporarySchema = Encode(
        "CREATE TEMPORARY TABLE pgproxy_temporary_schema (); DROP TABLE pg_temp.pgproxy_temporary_schema");

    /// <summary>
    /// The lock <c>insert_lock</c> takes on main before an INSERT into a table with a sequence, held to the end of
    /// the transaction, so that concurrent inserters draw the sequence in the same order on every node. A
    /// transaction-level advisory lock keyed on the table's OID: any role may take it, where <c>LOCK TABLE … IN SHARE
    /// ROW EXCLUSIVE MODE</c> needs more than the INSERT privilege and failed a role that may only insert. A table
    /// that does not exist (yet) locks nothing and lets the INSERT report the error itself.
    /// </summary>
    /// <param name="table">The table, as the statement names it.</param>
    /// <param name="holdThroughError">
    /// Follow the lock with a savepoint. PostgreSQL
    /// releases a transaction's locks at its error, not at its ROLLBACK: an INSERT that fails on main after drawing
    /// (a unique violation) would let the next inserter draw on main before the others ran the failed INSERT and
    /// drew its value, and the rows' numbers would differ between nodes. Failing inside the savepoint aborts only
    /// the subtransaction, and the lock, taken outside it, stays until main's ROLLBACK, after the others' run (in
    /// the client's transaction, until the client's ROLLBACK).
    /// </param>
    public static byte[] LockTable(string table, bool holdThroughError)
    {
        // The table's OID comes back (InjectedReply.LockQueryCycle): what SequenceLevel needs, named as the session
        // resolves the name.
        var regclass = "pg_catalog.to_regclass(" + EscapedLiteral(QuoteQualified(table)) + ")";
        return Encode("SELECT " + regclass + "::pg_catalog.oid FROM pg_catalog.pg_advisory_xact_lock(" + InsertLockKey +
                      ", " + regclass + "::pg_catalog.oid::pg_catalog.int4)"
                      + (holdThroughError ? "; SAVEPOINT " + InsertLockSavepoint : ""));
    }

    private const string InsertLockSavepoint = "pgproxy_insert_lock";

    /// <summary>
    /// insert_lock's lock for an INSERT sent alone inside the client's transaction: a session-level advisory lock,
    /// which outlives an error of the INSERT and the client's ROLLBACK, and which pgproxy releases
    /// (<see cref="UnlockCall"/>) before main's next statement, not at the end of the transaction. Held to the end,
    /// a transaction that inserted and then waited for a row lock deadlocked with one that had taken that row
    /// first and then waited to insert (8 Npgsql clients, INSERT-then-UPDATE against UPDATE-then-INSERT over 10
    /// rows: 58 transactions in 5 s, 23 of them failed with 40P01; directly none). The INSERT has then run on
    /// every node, so the next inserter draws after all of them.
    /// </summary>
    public static byte[] LockTableForSession(string table)
    {
        var regclass = "pg_catalog.to_regclass(" + EscapedLiteral(QuoteQualified(table)) + ")";
        return Encode("SELECT " + regclass + "::pg_catalog.oid FROM pg_catalog.pg_advisory_lock(" + InsertLockKey +
                      ", " + regclass + "::pg_catalog.oid::pg_catalog.int4)");
    }

    /// <summary>
    /// One call that releases <see cref="LockTableForSession"/>'s lock: by the OID its query returned, or, when that
    /// query failed (a cancel that may have landed after the grant), by the table's name. Not holding it, PostgreSQL
    /// answers false with a WARNING, which pgproxy drops (InjectedReply.UnlockQueryCycle).
    /// </summary>
    public static string UnlockCall(string table, string? oid)
    {
        var key = oid is not null && uint.TryParse(oid, out var number)
            ? number.ToString(System.Globalization.CultureInfo.InvariantCulture)
            : "pg_catalog.to_regclass(" + EscapedLiteral(QuoteQualified(table)) + ")";
        return "pg_catalog.pg_advisory_unlock(" + InsertLockKey + ", " + key + "::pg_catalog.oid::pg_catalog.int4)";
    }

    /// <summary>The first half of insert_lock's advisory key ("pgpx"), so it does not collide with applications'.</summary>
    internal const string InsertLockKey = "1885826168";

    /// <summary>An E'' literal that reads the same whatever <c>standard_conforming_strings</c> says.</summary>
    internal static string EscapedLiteral(string value) =>
        "E'" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "\\'", StringComparison.Ordinal) + "'";

    public static string QuoteQualified(string name)
    {
        var parts = name.Split('.');
        return string.Join('.', parts.Select(p => "\"" + p.Replace("\"", "\"\"", StringComparison.Ordinal) + "\""));
    }
}

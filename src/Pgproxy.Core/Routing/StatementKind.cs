namespace Pgproxy.Core.Routing;

/// <summary>
/// What the router does with a whole query string. When the classifier is unsure, the answer is
/// <see cref="Write"/>: sending a read to every node costs time, treating a write as a read loses data.
/// </summary>
internal enum StatementKind : byte
{
    /// <summary>
    /// Read-only: SELECT without INTO, row locks or a data-modifying CTE; VALUES; TABLE; SHOW; EXPLAIN without
    /// ANALYZE (or ANALYZE of a read); COPY … TO STDOUT; the empty query. Function calls do not change this: the
    /// router checks <see cref="StatementClassification.FunctionNames"/> against the volatility lists.
    /// </summary>
    Read,

    /// <summary>DML, DDL and everything unknown or unparsable. Runs on every node inside a transaction.</summary>
    Write,

    /// <summary>
    /// A write that PostgreSQL refuses inside a transaction block (VACUUM, CREATE DATABASE, CREATE INDEX
    /// CONCURRENTLY, DISCARD ALL…): every node, main first, without the internal transaction.
    /// </summary>
    WriteOutsideTransaction,

    /// <summary>BEGIN or START TRANSACTION, with any options.</summary>
    Begin,

    /// <summary>COMMIT, END, COMMIT AND [NO] CHAIN, PREPARE TRANSACTION.</summary>
    Commit,

    /// <summary>ROLLBACK, ABORT, ROLLBACK AND [NO] CHAIN (not ROLLBACK TO SAVEPOINT: that is session state).</summary>
    Rollback,

    /// <summary>
    /// SET, RESET, DISCARD (not ALL), PREPARE/EXECUTE/DEALLOCATE, LISTEN/UNLISTEN, LOAD, savepoints, cursors:
    /// sent to every node so that every node's session looks the same, without an internal transaction.
    /// </summary>
    SessionState,
}

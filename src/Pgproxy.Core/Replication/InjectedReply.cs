namespace Pgproxy.Core.Replication;

/// <summary>
/// A reply the client must not see, because pgproxy injected the message that causes it: the internal
/// transaction's BEGIN/COMMIT, the <c>SELECT now()</c> that fixes main's timestamp, a lazy Parse on a node
/// that had not seen a statement. Replies arrive in the order the messages were sent, so a queue per node
/// tells which of the next replies to swallow.
/// </summary>
internal enum InjectedReply : byte
{
    /// <summary>A whole simple-query cycle, up to and including its ReadyForQuery.</summary>
    QueryCycle,

    /// <summary>The cycle of a BEGIN pgproxy sent: its ReadyForQuery lets a held-back cancel go (CancelHold).</summary>
    ControlCycle,

    /// <summary>
    /// The cycle of a COMMIT or ROLLBACK pgproxy sent: held like a BEGIN, and when it leaves the transaction failed
    /// (a cancel met it all the same) a ROLLBACK is owed before the node's next statement.
    /// </summary>
    EndCycle,

    /// <summary>A query cycle whose single DataRow carries main's transaction timestamp.</summary>
    NowQueryCycle,

    /// <summary>A query cycle whose single DataRow carries main's values of defaults a COPY leaves out.</summary>
    DefaultsQueryCycle,

    /// <summary>A query cycle whose single DataRow carries main's transaction id (two-phase commit's gid).</summary>
    XidQueryCycle,

    /// <summary>A query cycle whose single DataRow carries the OID the node's counter gave (see OidNumbering).</summary>
    OidQueryCycle,

    /// <summary>insert_lock's lock: a query cycle whose single DataRow carries the locked table's OID.</summary>
    LockQueryCycle,

    /// <summary>insert_lock's session-level lock (InjectedQueries.LockTableForSession); its row: the OID.</summary>
    SessionLockQueryCycle,

    /// <summary>The release of that lock: a query cycle whose WARNING (a lock not held) is dropped.</summary>
    UnlockQueryCycle,

    /// <summary>One ParseComplete.</summary>
    ParseComplete,

    /// <summary>One CloseComplete.</summary>
    CloseComplete,
}

namespace Pgproxy.Core.Routing;

/// <summary>Where and how a client's statement runs in replication mode (see <see cref="Router"/>).</summary>
internal enum RouteDecision : byte
{
    /// <summary>The client's transaction has failed: one node answers as PostgreSQL would (25P02).</summary>
    AnswerInFailedTransaction,

    /// <summary>A read, on the node <see cref="Router.ReadNode"/> names.</summary>
    Read,

    /// <summary>A locking read (SKIP LOCKED, NOWAIT) on main alone; the transaction's later reads stay there.</summary>
    ReadOnMainAndPin,

    /// <summary>A write outside a transaction: every node, inside an internal transaction pgproxy opens.</summary>
    WriteInInternalTransaction,

    /// <summary>A write inside the client's transaction, or one carrying its own transaction control.</summary>
    Write,

    /// <summary>A write PostgreSQL refuses inside a transaction block: every node, main first, no wrapping.</summary>
    WriteOutsideTransaction,

    /// <summary>BEGIN: answered at once, sent to each node ahead of its next statement.</summary>
    Begin,

    /// <summary>COMMIT or ROLLBACK: the others first, main last.</summary>
    EndTransaction,

    /// <summary>SET, PREPARE, LISTEN, savepoints…: every node, so every node's session looks the same.</summary>
    SessionState,
}

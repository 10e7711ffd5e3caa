using Pgproxy.Protocol.Messages;

namespace Pgproxy.Core.Routing;

/// <summary>
/// The routing rules of replication mode as pure functions of a statement's classification and the session's
/// state, so they are tested as tables without nodes. The replication session carries the decisions out.
/// </summary>
internal static class Router
{
    /// <summary>
    /// A read only main can answer: it locks rows with SKIP LOCKED/NOWAIT, calls a function about main's own backend
    /// or transaction ids or one that must run on main, or reads a view of what main alone holds (pg_prepared_xacts,
    /// pg_replication_slots…), or names xmin (a row version each node numbers itself, which a later write may
    /// compare). The transaction's reads stay there.
    /// </summary>
    public static bool ReadsOnMain(StatementClassification statement) =>
        (statement.Flags & (StatementFlags.LocksOnMainOnly | StatementFlags.ReadsMainOnlyView)) != 0
        || statement.ReadsRowVersions
        || MainOnlyFunctions.AnyCalledBy(statement)
        || CatalogReadFunctions.AnyTiedToMain(statement);

    /// <summary>How a simple-protocol statement of <paramref name="kind"/> runs.</summary>
    /// <param name="kind">The statement's kind after the function lists and volatility have had their say.</param>
    /// <param name="statement">The statement's classification (its flags and first keyword).</param>
    /// <param name="state">The session's transaction as the client last saw it.</param>
    public static RouteDecision Decide(StatementKind kind, StatementClassification statement, in RouteState state)
    {
        if (state.ClientStatus == TransactionStatus.Failed && kind is not (StatementKind.Commit or StatementKind.Rollback)
                                                          && !IsRollbackToSavepoint(kind, statement))
        {
            // PostgreSQL refuses everything but the end of a failed transaction; the node that failed says so.
            return RouteDecision.AnswerInFailedTransaction;
        }

        return kind switch
        {
            StatementKind.Read when ReadsOnMain(statement) => RouteDecision.ReadOnMainAndPin,
            StatementKind.Read => RouteDecision.Read,
            StatementKind.Write when state.ClientStatus == TransactionStatus.Idle
                                     && !statement.Flags.HasFlag(StatementFlags.TransactionControlInside) =>
                RouteDecision.WriteInInternalTransaction,
            StatementKind.Write => RouteDecision.Write,
            StatementKind.WriteOutsideTransaction => RouteDecision.WriteOutsideTransaction,
            StatementKind.Begin => RouteDecision.Begin,
            StatementKind.Commit or StatementKind.Rollback => RouteDecision.EndTransaction,
            _ => RouteDecision.SessionState,
        };
    }

    /// <summary>
    /// The node that serves a read: the failed node inside a failed transaction (when it is still there), main
    /// inside a transaction that wrote or is strict (its snapshot and its own writes are there), else the
    /// load-balance node.
    /// </summary>
    public static ReadNode ReadNode(in RouteState state, bool failedNodeLive)
    {
        if (state.ClientStatus == TransactionStatus.Failed && failedNodeLive)
        {
            return Routing.ReadNode.FailedNode;
        }

        return state.ClientStatus != TransactionStatus.Idle && (state.TransactionWrote || state.StrictIsolation)
            ? Routing.ReadNode.Main
            : Routing.ReadNode.LoadBalanceNode;
    }

    /// <summary>ROLLBACK TO SAVEPOINT, which PostgreSQL accepts in a failed transaction (it is session state).</summary>
    public static bool IsRollbackToSavepoint(StatementKind kind, StatementClassification statement) =>
        kind == StatementKind.SessionState && statement.FirstKeyword == "ROLLBACK";
}

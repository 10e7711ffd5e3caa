using Pgproxy.Core.Routing;

namespace Pgproxy.Core.Replication;

internal sealed partial class QueryRunner
{
    /// <summary>SQLSTATE 25001 (active_sql_transaction): "… cannot run inside a transaction block".</summary>
    private const string ActiveSqlTransaction = "25001";

    /// <summary>
    /// Main refused with 25001 an autocommit write pgproxy had wrapped in its internal transaction: the client has
    /// no transaction block, so that error is pgproxy's making. A function running <c>ALTER SUBSCRIPTION … refresh</c>
    /// (the regression suite's <c>subscription</c>, issue 16) gets "cannot run inside a transaction block" there, where
    /// PostgreSQL directly says "cannot be executed from a function"; a statement the classifier did not know must
    /// run outside a block would fail the same way. The internal transaction is rolled back, main's answer (still
    /// held) dropped unseen, and the statement runs again without it, as a write that cannot run in a transaction
    /// does: main first, then the others. True when it did; false when main's answer stands.
    /// </summary>
    private async Task<bool> RetriedOutsideBlockAsync(NodeLink main, ReadOnlyMemory<byte> frame,
        StatementClassification? statement, long clientErrors)
    {
        if (main.Summary.ErrorState != ActiveSqlTransaction || !_answer.IsHolding || _write.InternalBegun)
        {
            // An answer already passed on (no mismatch can fail the statement) stays main's; so does one of a write
            // whose shared snapshot began the others' transaction too (it reads rows, it is no such statement).
            return false;
        }

        _answer.Discard();
        _replies.ClientErrors = clientErrors;
        main.Inject(InjectedQueries.Rollback, InjectedReply.QueryCycle);
        await WritePath.FlushLinkAsync(main);
        await _replies.ReadAsync(main, forward: false, summarize: false, ReplyStop.UntilDrained);
        await RunWriteAsync(frame, statement, internalTransaction: false);
        return true;
    }
}

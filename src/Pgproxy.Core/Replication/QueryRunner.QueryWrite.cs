using Pgproxy.Core.Determinism;
using Pgproxy.Core.Routing;

namespace Pgproxy.Core.Replication;

internal sealed partial class QueryRunner
{
    /// <summary>
    /// A Query (or FunctionCall) message as <see cref="WritePath.RunAsync"/> runs it: main gets the client's
    /// message, the others a copy with main's time and default values where the statement leaves them to the nodes.
    /// </summary>
    private sealed class QueryWrite(QueryRunner runner, ReadOnlyMemory<byte> frame, StatementClassification? statement,
        DefaultsPlan defaults, bool internalTransaction, bool marksWrite, bool rewritesTime, string? lockTable,
        LargeObjectRewrite? largeObject, bool sharesSnapshot) : IFannedWrite
    {
        /// <summary>The others' rewrite of the message, once main's answer gave what it needs (else they get the client's).</summary>
        private byte[]? _rewritten;

        /// <summary>Main's values of the defaults the COPY leaves out, appended to the others' data.</summary>
        private CopyRowAppender? _appender;

        /// <summary>The client's error count before main's answer (an answer dropped unseen does not count).</summary>
        private long _clientErrors;

        private ReadOnlyMemory<byte> OthersFrame => _rewritten ?? frame;

        public bool InternalTransaction => internalTransaction;

        public bool EndsRequest => true;

        // An INSERT that draws a sequence under insert_lock is answered once every node has drawn: deferred, it drew
        // on the others a moment after the client heard main's value, and a nextval() that another session ran
        // in that moment took that value there first (HeldBackSequenceTests, under load).
        public bool MayDefer => statement is not null && lockTable is null;

        public StatementClassification? Statement => statement;

        // An INSERT that draws a sequence (insert_lock's) goes to the others at once: held back to the COMMIT, it
        // would draw there after any nextval() another session ran meanwhile, and get another value than on main.
        public bool IsPlainDml => statement is not null && WritePath.IsPlainDml(statement) && lockTable is null;

        public bool MarksWrite => marksWrite;

        public bool ChangesFunctions => statement?.FirstKeyword is "CREATE" or "ALTER" or "DROP";

        public bool MayRunAgain => largeObject is null && statement is { StatementCount: 1, CopyTable: null };

        public bool SharesSnapshot => sharesSnapshot;

        public bool KeepsAnswerUntilResult => false;

        public bool RewritesTime => rewritesTime;

        public string? LockTable => lockTable;

        public DefaultsPlan Defaults => defaults;

        public void SendTo(NodeLink link, bool isMain)
        {
            if (isMain)
            {
                runner.SendToMain(link, frame, this);
                LargeObjectRewrite.Arm(largeObject, runner._replies, link);
            }
            else
            {
                runner.SendToOther(link, OthersFrame, internalTransaction);
            }
        }

        public ValueTask FlushMainAsync(NodeLink main) => WritePath.FlushLinkAsync(main);

        public ValueTask<ReplyEnd> ReadMainAsync(NodeLink main)
        {
            _clientErrors = runner._replies.ClientErrors;
            return runner._replies.ReadAsync(main, forward: true, summarize: true, ReplyStop.UntilReady);
        }

        public NodeLink[] Others(NodeLink main, ReplyEnd end)
        {
            var replies = runner._replies;
            _appender = end == ReplyEnd.CopyIn && defaults.CopyToRewrite is { } copied
                ? runner._catalog.CreateCopyAppender(copied)
                : null;
            if ((rewritesTime && replies.MainNow is not null) || _appender is not null)
            {
                _rewritten = OthersFrames.RewriteQueryFrame(frame.Span, statement!,
                    rewritesTime ? replies.MainNow : null, _appender is not null ? defaults.Copy!.Statement : defaults.Insert);
            }
            else if (statement is { StatementCount: 1, RowVersionChecks.Count: > 0 } checking)
            {
                // An xmin check (RowVersionScanner): the others get main's outcome of it.
                _rewritten = InjectedQueries.Encode(RowVersionScanner.Resolved(
                    OthersFrames.FrameText(frame.Span, isParse: false), checking.RowVersionChecks,
                    matchedOnMain: !main.Summary.ChangedNoRows(0)));
            }

            if (largeObject?.OthersFrame(replies) is { } withMainsOid)
            {
                _rewritten = withMainsOid; // the large object's OID main picked, made explicit (issue 16 item 5)
            }

            return runner._nodes.OthersArray(main);
        }

        public bool MainRefused(NodeLink main) =>
            main.Summary.HasError || main.Status == Protocol.Messages.TransactionStatus.Failed;

        public async Task<bool> ReplayRefusedAsync(NodeLink main, NodeLink[] others, TimeSpan mainTime)
        {
            if (internalTransaction && await runner.RetriedOutsideBlockAsync(main, frame, statement, _clientErrors))
            {
                return false;
            }

            await runner.ReplayRefusedWriteAsync(main, others, OthersFrame, statement, internalTransaction, mainTime);
            return true;
        }

        public async Task<bool> CopyInAsync(NodeLink main, NodeLink[] others)
        {
            runner.SendToOthers(others, OthersFrame, internalTransaction);
            await runner._write.FlushOthersAsync(others);
            await runner.CopyQueryInAsync(main, others, _appender);
            return true; // a failed COPY ends with main's ReadyForQuery: compared and ended like any write
        }

        public Task FlushOthersAsync(NodeLink[] others, bool deferred, bool passes) =>
            runner._write.FlushUnlessHeldBackAsync(others, passes);

        public Task ReadOthersAsync(NodeLink main, NodeLink[] others, TimeSpan mainTime) =>
            runner._write.ReadOthersAsync(main, others, mainTime);
    }
}

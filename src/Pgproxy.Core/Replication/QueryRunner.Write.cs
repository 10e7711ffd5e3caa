using System.Buffers;
using Pgproxy.Core.Routing;
using Pgproxy.Protocol.Messages;

namespace Pgproxy.Core.Replication;

internal sealed partial class QueryRunner
{
    /// <summary>
    /// The write path (DESIGN §3). _nodes.Main runs the statement first — inside an internal transaction whose BEGIN
    /// travels in the same write when the client is not in one — and its answer goes to the client. Only then
    /// do the other nodes get it, all at once, so conflicting writers have already queued on main's locks and
    /// reach the others in main's order. The answers are compared before anything commits; then the internal
    /// transaction's COMMIT goes to the others and, right behind it, to main, and the client hears back once
    /// every node has committed: three sequential round trips whatever the number of nodes.
    /// </summary>
    /// <param name="frame">The client's Query (or FunctionCall) message.</param>
    /// <param name="statement">Null for a FunctionCall, which has no text to inspect.</param>
    /// <param name="internalTransaction">Wrap it in pgproxy's own BEGIN/COMMIT (autocommit writes).</param>
    /// <param name="marksWrite">False for session state (SET…): it does not pin the transaction's reads to main.</param>
    private async Task RunWriteAsync(ReadOnlyMemory<byte> frame, StatementClassification? statement,
        bool internalTransaction, bool marksWrite = true)
    {
        _host.ThrowIfANodeWasAttached();
        var main = _nodes.Main;
        var defaults = statement is null ? default : await _catalog.PlanDefaultsAsync(statement, frame);
        if (statement is not null
            && (_host.RefusedWrite(statement) ?? _catalog.RefusedDefaults(defaults)) is { } refused)
        {
            await _host.RefuseUnlessMainRejectsAsync(frame, statement, refused);
            return;
        }

        var rewriteTime = statement is not null && statement.Kind != StatementKind.Read
                                                && (statement.Flags.HasFlag(StatementFlags.HasTimeFunctions)
                                                    || defaults.NeedsNow);
        if (rewriteTime && statement!.Flags.HasFlag(StatementFlags.TransactionControlInside)
                        && _policy.RefuseNondeterministic)
        {
            // Its BEGIN starts the transaction whose time counts: no SELECT now() can run inside it beforehand.
            await _host.RefuseAsync("0A000", TimeInsideTransactionControlMessage, writeReady: true);
            return;
        }

        main.FlushPendingBegin();
        if (internalTransaction)
        {
            main.Inject(InjectedQueries.Begin, InjectedReply.QueryCycle);
            _twoPhase.ForgetXid();
        }

        if (marksWrite && (internalTransaction || _state.Status == TransactionStatus.InTransaction))
        {
            _twoPhase.AskMainXid(main);
        }

        if (statement is not null && await _catalog.InsertLockTableAsync(statement) is { } lockTable)
        {
            // Serialise inserts into a table with a sequence on main: every node then draws its values in the same order.
            if (_state.Status != TransactionStatus.Idle || internalTransaction)
            {
                main.Inject(InjectedQueries.LockTable(lockTable), InjectedReply.QueryCycle);
            }
        }

        if (rewriteTime)
        {
            _replies.MainNow = null;
            main.Inject(InjectedQueries.SelectNow, InjectedReply.NowQueryCycle);
        }

        if (defaults.CopyToRewrite is { } copy)
        {
            // _nodes.Main evaluates the defaults the COPY leaves out, in the COPY's transaction: the others get its values.
            _replies.MainDefaults = null;
            main.Inject(InjectedQueries.Encode(copy.ValuesQuery), InjectedReply.DefaultsQueryCycle);
        }

        _host.AnnounceStatement(main, frame.Span);
        main.Summary.Clear();
        main.SwallowedError = null;
        main.Output.Write(frame.Span);
        var mainStarted = _time.GetTimestamp();
        await WritePath.FlushLinkAsync(main);
        var answerStart = _replies.ForwardedBytes;
        if (internalTransaction || _state.Status != TransactionStatus.InTransaction || _write.OthersOwe)
        {
            // Unless it will be deferred (and so compared only at a later statement), the others' answers can
            // still fail this statement: the client must not have main's yet.
            _write.HoldAnswer(keepUntilResult: false);
        }

        var clientErrors = _replies.ClientErrors;
        var end = await _replies.ReadAsync(main, forward: true, summarize: true, ReplyStop.UntilReady);
        if (internalTransaction && await RetriedOutsideBlockAsync(main, frame, statement, clientErrors))
        {
            return;
        }

        var mainTime = _time.GetElapsedTime(mainStarted);

        var others = _nodes.OthersArray(main);
        var appender = end == ReplyEnd.CopyIn && defaults.CopyToRewrite is { } copied ? _catalog.CreateCopyAppender(copied) : null;
        var otherFrame = (rewriteTime && _replies.MainNow is not null) || appender is not null
            ? OthersFrames.RewriteQueryFrame(frame.Span, statement!, rewriteTime ? _replies.MainNow : null,
                appender is not null ? defaults.Copy!.Statement : defaults.Insert)
            : frame;
        if (end == ReplyEnd.CopyIn)
        {
            SendToOthers(others, otherFrame, internalTransaction);
            await _write.FlushOthersAsync(others);
            await CopyQueryInAsync(main, others, appender);
            mainTime = TimeSpan.Zero; // the others had the data as soon as main: they get the setting alone from here
        }
        else
        {
            if (main.Summary.HasError || main.Status == TransactionStatus.Failed)
            {
                await ReplayRefusedWriteAsync(main, others, otherFrame, statement, internalTransaction, mainTime);
                _host.FinishRequest(main);
                return;
            }

            var deferred = !internalTransaction && statement is not null
                                                && main.Status == TransactionStatus.InTransaction
                                                && _state.Status == TransactionStatus.InTransaction;
            var passes = deferred && WritePath.IsPlainDml(statement!)
                                  && _write.WithinOwedLimits(others, _replies.ForwardedBytes - answerStart);
            if (!passes && await _host.SettleOrRaiseAsync(writeReady: true))
            {
                return;
            }

            if (deferred)
            {
                _answer.Release(); // compared at a later statement, which that comparison fails if it must
            }

            SendToOthers(others, otherFrame, internalTransaction);
            await _write.FlushUnlessHeldBackAsync(others, passes);

            if (deferred)
            {
                // Inside the client's transaction nothing commits before its COMMIT: the others' answers are read
                // and compared later (SettleAsync), while the client already goes on with main's.
                _write.Defer(main, others, _replies.ForwardedBytes - answerStart, mainTime);
                if (marksWrite)
                {
                    _state.TransactionWrote = true;
                }

                _host.FinishRequest(main);
                return;
            }
        }

        await _write.ReadOthersAsync(main, others, mainTime);
        var mismatch = _write.CompareWithMain(main, others);
        if (statement?.FirstKeyword is "CREATE" or "ALTER" or "DROP")
        {
            _catalog.ForgetFunctions();
        }

        if (internalTransaction)
        {
            await _write.EndInternalTransactionAsync(main, others, commit: mismatch is null);
            if (mismatch is not null)
            {
                _write.AnswerWithError("XX001", mismatch);
            }
        }
        else if (mismatch is not null
                 && (_state.Status != TransactionStatus.Idle || main.Status != TransactionStatus.Idle))
        {
            // Inside the client's transaction: fail it on every node alike, so no node can commit it.
            await _host.FailRequestAsync("XX001", mismatch, writeReady: true);
            return;
        }

        _answer.Release();

        if (marksWrite && _state.Status != TransactionStatus.Idle)
        {
            _state.TransactionWrote = true;
        }

        _host.FinishRequest(main);
    }

    /// <summary>Writes the statement (after any deferred BEGIN, and the internal BEGIN) to every other node.</summary>
    private void SendToOthers(NodeLink[] others, ReadOnlyMemory<byte> frame, bool internalTransaction)
    {
        foreach (var other in others)
        {
            other.FlushPendingBegin();
            if (internalTransaction)
            {
                other.Inject(InjectedQueries.Begin, InjectedReply.QueryCycle);
            }

            _host.AnnounceStatement(other, frame.Span);
            other.Summary.Clear();
            other.SwallowedError = null;
            other.Output.Write(frame.Span);
        }
    }

    /// <summary>
    /// A FunctionCall message (fast-path, used for large objects): every node, main first, compared like any
    /// write; it has no text to classify.
    /// </summary>
    public async Task RunFunctionCallAsync(ReadOnlyMemory<byte> frame)
    {
        if (!await _host.SettleOrRefuseAsync(writeReady: true))
        {
            await RunWriteAsync(frame, statement: null, internalTransaction: false);
        }
    }
}

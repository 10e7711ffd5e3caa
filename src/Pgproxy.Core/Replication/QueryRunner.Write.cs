using System.Buffers;
using Pgproxy.Core.Routing;
using Pgproxy.Protocol.Messages;

namespace Pgproxy.Core.Replication;

internal sealed partial class QueryRunner
{
    /// <summary>
    /// A write on every node through the write path (<see cref="WritePath.RunAsync"/>: main first, then the others,
    /// compared, committed), once it is known to be allowed: a call whose result would differ between nodes, or a
    /// default left to them, is refused under nondeterministic_write = error.
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

        var lockTable = statement is null ? null : await _catalog.InsertLockTableAsync(statement);
        var largeObject = statement is null
            ? LargeObjectRewrite.ForFunctionCall(frame.Span)
            : LargeObjectRewrite.ForQuery(statement);
        // Run again after a 40001 of its shared snapshot, it must leave nothing behind: no sequence drawn
        // (insert_lock's or a call's), no volatile function's doing.
        var sharesSnapshot = internalTransaction && !InScript && lockTable is null && largeObject is null
                             && statement is { StatementCount: 1, CopyTable: null } s
                             && s.Flags.HasFlag(StatementFlags.ReadsOtherRows)
                             && await CallsOnlyReadFunctionsAsync(s);
        var write = new QueryWrite(this, frame, statement, defaults, internalTransaction, marksWrite, rewriteTime,
            lockTable, largeObject, sharesSnapshot);
        await _write.RunAsync(main, write, _host);
    }

    /// <summary>
    /// Main's copy of a write: after any deferred BEGIN, the internal BEGIN, and what pgproxy asks of main first —
    /// its transaction id (two-phase commit), insert_lock's lock, its current time, its values of the defaults a
    /// COPY leaves out.
    /// </summary>
    private void SendToMain(NodeLink main, ReadOnlyMemory<byte> frame, QueryWrite write)
    {
        main.FlushPendingBegin();
        if (write.InternalTransaction)
        {
            if (!_write.InternalBegun)
            {
                main.InjectBegin(InjectedQueries.Begin);
            }

            _twoPhase.ForgetXid();
        }

        if (write.MarksWrite && (write.InternalTransaction || _state.Status == TransactionStatus.InTransaction))
        {
            _twoPhase.AskMainXid(main);
        }

        // Serialise inserts into a table with a sequence on main: every node then draws its values in the same order.
        if (write.LockTable is { } lockTable && (_state.Status != TransactionStatus.Idle || write.InternalTransaction))
        {
            // Held through an error of the INSERT (InjectedQueries.LockTable) by a savepoint: pgproxy's own
            // transaction ends anyway; in the client's, one statement alone, so no savepoint of the client's is
            // named or released between it and its RELEASE, which goes before main's next statement.
            var holdThroughError = write.Statement?.Flags.HasFlag(StatementFlags.TransactionControlInside) == false
                                   && (write.InternalTransaction || write.Statement.StatementCount == 1);
            main.TakeInsertLock(lockTable, holdThroughError, releaseBeforeNext: !write.InternalTransaction);
        }

        if (write.RewritesTime && !_twoPhase.KnowsMainNow)
        {
            _replies.MainNow = null;
            main.Inject(InjectedQueries.SelectNow, InjectedReply.NowQueryCycle);
        }

        if (write.Defaults.CopyToRewrite is { } copy)
        {
            // Main evaluates the defaults the COPY leaves out, in the COPY's transaction: the others get its values.
            _replies.MainDefaults = null;
            main.Inject(InjectedQueries.Encode(copy.ValuesQuery), InjectedReply.DefaultsQueryCycle);
        }

        _host.AnnounceStatement(main, frame.Span);
        main.Output.Write(frame.Span);
    }

    /// <summary>Writes the statement (after any deferred BEGIN, and the internal BEGIN) to every other node.</summary>
    private void SendToOthers(NodeLink[] others, ReadOnlyMemory<byte> frame, bool internalTransaction)
    {
        foreach (var other in others)
        {
            other.Summary.Clear();
            other.SwallowedError = null;
            SendToOther(other, frame, internalTransaction);
        }
    }

    /// <summary>An other node's copy of a write (after any deferred BEGIN, and the internal BEGIN).</summary>
    private void SendToOther(NodeLink other, ReadOnlyMemory<byte> frame, bool internalTransaction)
    {
        other.FlushPendingBegin();
        if (internalTransaction && !_write.InternalBegun)
        {
            other.InjectBegin(InjectedQueries.Begin);
        }

        _host.AnnounceStatement(other, frame.Span);
        other.Write(frame.Span); // held in its script while the write is held back (WritePath.SendToOthersAsync)
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

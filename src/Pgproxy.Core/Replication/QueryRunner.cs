using System.Buffers;
using Pgproxy.Core.Admin;
using Pgproxy.Core.Metrics;
using Pgproxy.Core.Routing;
using Pgproxy.Protocol.Messages;

namespace Pgproxy.Core.Replication;

/// <summary>
/// Runs a replication session's Query messages (simple protocol) and FunctionCalls: classifies the text and runs it
/// where its class calls for — a read on one node, a write on every node main first (<c>.Write</c>), BEGIN and
/// COMMIT/ROLLBACK (<c>.Transactions</c>, <c>.Chain</c>), a string with transaction control in steps
/// (<c>.Script</c>), COPY FROM STDIN (<c>.Copy</c>), what main refused replayed on the others
/// (<c>.RefusedWrite</c>). What the client is told of the request as a whole it leaves to the session
/// (<see cref="IRequestHost"/>).
/// </summary>
internal sealed partial class QueryRunner(RequestParts parts) : RequestRunner(parts)
{
    private const string TimeInsideTransactionControlMessage =
        "pgproxy cannot give every node main's current time in a query string that also begins or ends a " +
        "transaction: send the transaction's statements one by one (nondeterministic_write = error)";

    /// <summary>PREPARE'd statements (SQL level) and how their EXECUTE routes.</summary>
    private readonly Dictionary<string, StatementKind> _sqlPrepared = new(StringComparer.Ordinal);

    /// <summary>A Query message: classify its text and run it where its class calls for.</summary>
    public async Task RunAsync(ReadOnlyMemory<byte> frame)
    {
        var text = OthersFrames.QueryText(frame.Span);
        if (text.Length <= AdminCommandParser.MaxFrameBody && AdminCommandParser.Parse(WithTerminator(frame.Span)) != AdminCommand.None)
        {
            await _host.PrepareAdminAsync(WithTerminator(frame.Span).ToArray());
            var rewritten = new System.Buffers.ArrayBufferWriter<byte>();
            _host.RewriteAdminCommand(frame.Span, FrontendMessageType.Query, rewritten, out var adminError);
            if (adminError is not null)
            {
                await _host.FailRequestAsync(adminError.SqlState, adminError.Message, writeReady: true, adminError.Hint);
                return;
            }

            await RunOnOneAsync(_host.ReadTarget(), rewritten.WrittenMemory, countSelect: false);
            return;
        }

        var statement = _policy.Classifications.Get(text);
        if (statement.Flags.HasFlag(StatementFlags.SchemaChange) && _host.SchemaChangeRefusal is { } held)
        {
            await _host.RefuseAsync(SchemaChangeHold.SqlState, held, writeReady: true);
            return;
        }

        if (statement.Flags.HasFlag(StatementFlags.TransactionControlInside) && _nodes.HasLiveOthers
            && QueryScript.TryCut(System.Text.Encoding.UTF8.GetString(text), _catalog.MayLockInsert) is { } script)
        {
            await RunScriptAsync(script);
            return;
        }

        // A string with an INSERT that takes insert_lock's lock and other statements runs in steps too, the INSERT
        // a step of its own, in an implicit block as PostgreSQL runs the string: its lock, session-level then, is
        // released once every node ran it. Run whole, the string held the lock while a later UPDATE waited for a
        // row that a transaction waiting for the lock held ({INSERT; UPDATE} strings beside transactions updating
        // then inserting, 8 clients over 10 rows: 46 done and 14 deadlocked in 5 s; directly 32,559 and none).
        if (statement.Flags.HasFlag(StatementFlags.MultiStatement) && _nodes.HasLiveOthers
            && statement.InsertTables.Count > 0 && _policy.InsertLock
            && QueryScript.TryCut(System.Text.Encoding.UTF8.GetString(text), _catalog.MayLockInsert) is
                { Steps.Count: > 1 } cut)
        {
            await RunScriptAsync(cut);
            return;
        }

        if (statement.Flags.HasFlag(StatementFlags.TransactionControlInside))
        {
            // Main alone runs a string with its own COMMIT as it is: it commits inside, so it passes the write gate
            // as a whole (a check or a recovery's cutover must not see it half way). Rare: with other nodes live the
            // string is cut into steps above, each of which passes the gate at its own commit.
            using var pass = await _write.PassCommitGateAsync();
            await RunStatementAsync(frame, statement);
        }
        else
        {
            await RunStatementAsync(frame, statement);
        }

        if (statement.Calls("set_config"))
        {
            _state.ForgetTransactionDefaults(); // after it ran: asked before, main would give the old value
        }
    }

    /// <summary>One statement (or a string of them without transaction control) where its class calls for.</summary>
    private async Task RunStatementAsync(ReadOnlyMemory<byte> frame, StatementClassification statement)
    {
        _twoPhase.NoteLimits(statement, OthersFrames.QueryText(frame.Span));
        var kind = await _host.EffectiveKindAsync(statement);
        _host.RequestClass = StatementClasses.Of(kind);
        var route = Router.Decide(kind, statement, _state.RouteState);
        if (MainOnlyFunctions.Terminates(statement))
        {
            _host.TerminatesBackends = true;
        }
        if (route == RouteDecision.AnswerInFailedTransaction)
        {
            await RunOnOneAsync(_host.ReadTarget(), frame, countSelect: false);
            return;
        }

        if (route is not (RouteDecision.Begin or RouteDecision.EndTransaction)
            && await NeedsSharedSnapshotAsync(statement.FirstKeyword)
            && await ShareSnapshotOrRefuseAsync(writeReady: !InScript))
        {
            return;
        }

        var plainCommit = route == RouteDecision.EndTransaction && IsPlainCommit(kind, frame);
        if (_write.OthersOwe && !ReadsFromMain(kind) && !PassesOwedAnswers(kind, statement) && !plainCommit
            && await _host.SettleOrRefuseAsync(writeReady: true))
        {
            return;
        }

        switch (route)
        {
            case RouteDecision.ReadOnMainAndPin:
                await RunOnOneAsync(_nodes.Main, frame, countSelect: true);
                _host.PinReadsToMain();
                break;
            case RouteDecision.Read:
                await RunOnOneAsync(_host.ReadTarget(), frame, countSelect: true);
                break;
            case RouteDecision.WriteInInternalTransaction:
                await RunWriteAsync(frame, statement, internalTransaction: true);
                break;
            case RouteDecision.Write:
                await RunWriteAsync(frame, statement, internalTransaction: false);
                break;
            case RouteDecision.WriteOutsideTransaction:
                await _host.ReleaseDatabasesAsync(OthersFrames.QueryText(frame.Span));
                await RunWriteAsync(frame, statement, internalTransaction: false);
                break;
            case RouteDecision.Begin:
                await BeginAsync(frame, statement);
                break;
            case RouteDecision.EndTransaction:
                await EndTransactionAsync(frame, kind, plainCommit);
                break;
            default:
                await RunSessionStateAsync(frame, statement);
                break;
        }
    }

    /// <summary>
    /// SET, PREPARE, LISTEN, savepoints, cursors…: every node, so every node's session looks the same. EXECUTE of
    /// a prepared read is a read.
    /// </summary>
    private async Task RunSessionStateAsync(ReadOnlyMemory<byte> frame, StatementClassification statement)
    {
        if (TransactionModes.ImportsSnapshot(statement.FirstKeyword, OthersFrames.QueryText(frame.Span)))
        {
            _state.SnapshotShared = true;
            await RunOnOneAsync(_nodes.Main, frame, countSelect: false);
            return;
        }

        switch (statement.FirstKeyword)
        {
            case "EXECUTE" when statement.PreparedName is { } name:
                var inner = _sqlPrepared.GetValueOrDefault(name, StatementKind.Write);
                if (inner == StatementKind.Read)
                {
                    await RunOnOneAsync(_host.ReadTarget(), frame, countSelect: true);
                }
                else
                {
                    await RunWriteAsync(frame, statement, internalTransaction: _state.Status == TransactionStatus.Idle);
                }

                return;
            case "PREPARE" when statement.PreparedName is { } name:
                _sqlPrepared[name] = statement.PreparedInnerKind == StatementKind.Read
                                     && _policy.CallsWriteFunction(statement, _catalog.Database) == false
                    ? StatementKind.Read
                    : StatementKind.Write;
                break;
            case "DEALLOCATE" when statement.PreparedName is { } name:
                if (name == "*")
                {
                    _sqlPrepared.Clear();
                }
                else
                {
                    _sqlPrepared.Remove(name);
                }

                break;
            case "LISTEN":
                _idle.Listening = true;
                break;
            default:
                break;
        }

        await RunWriteAsync(frame, statement, internalTransaction: false, marksWrite: false);
        // SET TRANSACTION ISOLATION LEVEL SERIALIZABLE (or REPEATABLE READ) in a transaction: reads go to main from
        // here, as after such a BEGIN; one balanced to another node took a snapshot there alone, and a later SET
        // TRANSACTION then failed there only (25001, PostgreSQL's transactions test).
        _state.StrictIsolation |= statement.Flags.HasFlag(StatementFlags.StrictIsolation)
                            && _state.Status != TransactionStatus.Idle;
        _state.IsolationNamed |= statement.Flags.HasFlag(StatementFlags.NamesIsolationLevel)
                                 && _state.Status != TransactionStatus.Idle;
        var text = OthersFrames.QueryText(frame.Span);
        if (_state.Status != TransactionStatus.Idle)
        {
            _state.ReadOnly = TransactionModes.NamedAccess(text) ?? _state.ReadOnly;
        }

        _state.NoteSessionSetting(statement.FirstKeyword, text);
    }

    /// <summary>
    /// Runs a request on one node and forwards its answer: reads, and anything sent while the client's
    /// transaction is failed (the failing node answers as PostgreSQL would).
    /// </summary>
    private async Task RunOnOneAsync(NodeLink link, ReadOnlyMemory<byte> frame, bool countSelect)
    {
        using var alone = _nodes.RunAlone(link);
        link.FlushPendingBegin();
        _host.AnnounceStatement(link, frame.Span);
        link.Output.Write(frame.Span);
        await WritePath.FlushLinkAsync(link);
        if (countSelect)
        {
            link.Node.CountSelect();
        }

        var end = await _replies.ReadAsync(link, forward: true, summarize: false, ReplyStop.UntilReady);
        while (end == ReplyEnd.CopyIn)
        {
            // A Query string may go into copy-in more than once: each COPY's CopyDone is answered by the next statement.
            await _copyIn.RelayAsync([link], link);
            end = await _replies.ReadAsync(link, forward: true, summarize: false, ReplyStop.UntilReady);
        }

        await _idle.ThrowIfMainEndedMeanwhileAsync(link);
        _host.FinishRequest(link);
    }

    /// <summary>
    /// A read that goes to main without involving the others: the one request that may pass the others' owed
    /// answers (a transaction's read after its write), so it costs no wait for them.
    /// </summary>
    private bool ReadsFromMain(StatementKind kind) =>
        kind == StatementKind.Read && _state.Status == TransactionStatus.InTransaction
                                   && (_state.TransactionWrote || _state.StrictIsolation) && !_nodes.Main.Owes;

    /// <summary>
    /// A plain write of the client's transaction goes to main while the others still work on the previous one:
    /// their answers are settled once main has answered, right before this statement is sent to them
    /// (WritePath.RunAsync), so main and the others run back to back instead of one after the other.
    /// </summary>
    /// <summary>
    /// A write in the client's transaction may run on main while the others still owe earlier answers; not an
    /// INSERT that may take insert_lock's lock. Should those answers fail the transaction (a cancel of the UPDATE
    /// before it on another node), the others never run the INSERT, and the value it drew on main left every later
    /// row of the table numbered apart: found with a client cancelling every statement, in most 15 s runs.
    /// </summary>
    private bool PassesOwedAnswers(StatementKind kind, StatementClassification statement) =>
        kind == StatementKind.Write && _state.Status == TransactionStatus.InTransaction && !_nodes.Main.Owes
        && (statement.Flags & (StatementFlags.CopyFromStdin | StatementFlags.MultiStatement
                               | StatementFlags.TransactionControlInside)) == 0
        && !_catalog.MayLockInsert(statement);

    private static ReadOnlySpan<byte> WithTerminator(ReadOnlySpan<byte> frame) => frame[5..];

}

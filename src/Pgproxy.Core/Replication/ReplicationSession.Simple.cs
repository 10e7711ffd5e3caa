using System.Buffers;
using Pgproxy.Core.Admin;
using Pgproxy.Core.Metrics;
using Pgproxy.Core.Routing;
using Pgproxy.Protocol.Messages;
using Pgproxy.Protocol.Writing;

namespace Pgproxy.Core.Replication;

internal sealed partial class ReplicationSession
{
    /// <summary>The group being run ends with pgproxy's own Sync, whose ReadyForQuery the client must not get.</summary>
    private bool _silentSync;

    /// <summary>PREPARE'd statements (SQL level) and how their EXECUTE routes.</summary>
    private readonly Dictionary<string, StatementKind> _sqlPrepared = new(StringComparer.Ordinal);

    /// <summary>A Query message: classify its text and run it where its class calls for.</summary>
    private async Task HandleQueryAsync()
    {
        var frame = _frame.WrittenMemory;
        var text = OthersFrames.QueryText(frame.Span);
        if (text.Length <= AdminCommandParser.MaxFrameBody && AdminCommandParser.Parse(WithTerminator(frame.Span)) != AdminCommand.None)
        {
            await _session.PrepareAdminAsync(WithTerminator(frame.Span).ToArray());
            var rewritten = new System.Buffers.ArrayBufferWriter<byte>();
            _session.RewriteAdminCommand(frame.Span, FrontendMessageType.Query, rewritten, out var adminError);
            if (adminError is not null)
            {
                await FailRequestAsync(adminError.SqlState, adminError.Message, writeReady: true, adminError.Hint);
                return;
            }

            await RunOnOneAsync(ReadTarget(), rewritten.WrittenMemory, countSelect: false);
            return;
        }

        var statement = _policy.Classifications.Get(text);
        if (statement.Flags.HasFlag(StatementFlags.SchemaChange) && _runtime.SchemaChanges.Refusal is { } held)
        {
            await RefuseAsync(SchemaChangeHold.SqlState, held, writeReady: true);
            return;
        }

        if (statement.Flags.HasFlag(StatementFlags.TransactionControlInside) && _nodes.HasLiveOthers
            && QueryScript.TryCut(System.Text.Encoding.UTF8.GetString(text)) is { } script)
        {
            await RunScriptAsync(script);
            return;
        }

        if (statement.Flags.HasFlag(StatementFlags.TransactionControlInside))
        {
            // Main alone runs a string with its own COMMIT as it is: it commits inside, so it passes the write gate
            // as a whole (a check or a recovery's cutover must not see it half way). Rare: with other nodes live the
            // string is cut into steps above, each of which passes the gate at its own commit.
            using var pass = await _write.PassCommitGateAsync();
            await RunStatementAsync(frame, statement);
            return;
        }

        await RunStatementAsync(frame, statement);
    }

    /// <summary>One statement (or a string of them without transaction control) where its class calls for.</summary>
    private async Task RunStatementAsync(ReadOnlyMemory<byte> frame, StatementClassification statement)
    {
        _twoPhase.NoteLimits(statement, OthersFrames.QueryText(frame.Span));
        var kind = await EffectiveKindAsync(statement);
        RequestClass = StatementClasses.Of(kind);
        var route = Router.Decide(kind, statement, _state.RouteState);
        if (route == RouteDecision.AnswerInFailedTransaction)
        {
            await RunOnOneAsync(ReadTarget(), frame, countSelect: false);
            return;
        }

        if (_write.OthersOwe && !ReadsFromMain(kind) && !PassesOwedAnswers(kind, statement)
            && await SettleOrRefuseAsync(writeReady: true))
        {
            return;
        }

        switch (route)
        {
            case RouteDecision.ReadOnMainAndPin:
                await RunOnOneAsync(Main, frame, countSelect: true);
                PinReadsToMain();
                break;
            case RouteDecision.Read:
                await RunOnOneAsync(ReadTarget(), frame, countSelect: true);
                break;
            case RouteDecision.WriteInInternalTransaction:
                await RunWriteAsync(frame, statement, internalTransaction: true);
                break;
            case RouteDecision.Write:
                await RunWriteAsync(frame, statement, internalTransaction: false);
                break;
            case RouteDecision.WriteOutsideTransaction:
                await ReleaseDatabasesAsync(OthersFrames.QueryText(frame.Span));
                await RunWriteAsync(frame, statement, internalTransaction: false);
                break;
            case RouteDecision.Begin:
                await BeginAsync(frame, statement);
                break;
            case RouteDecision.EndTransaction:
                await EndTransactionAsync(frame, kind);
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
        switch (statement.FirstKeyword)
        {
            case "EXECUTE" when statement.PreparedName is { } name:
                var inner = _sqlPrepared.GetValueOrDefault(name, StatementKind.Write);
                if (inner == StatementKind.Read)
                {
                    await RunOnOneAsync(ReadTarget(), frame, countSelect: true);
                }
                else
                {
                    await RunWriteAsync(frame, statement, internalTransaction: _state.Status == TransactionStatus.Idle);
                }

                return;
            case "PREPARE" when statement.PreparedName is { } name:
                _sqlPrepared[name] = statement.PreparedInnerKind == StatementKind.Read
                                     && _policy.CallsWriteFunction(statement, _session.Database) == false
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
    }

    /// <summary>
    /// Runs a request on one node and forwards its answer: reads, and anything sent while the client's
    /// transaction is failed (the failing node answers as PostgreSQL would).
    /// </summary>
    private async Task RunOnOneAsync(NodeLink link, ReadOnlyMemory<byte> frame, bool countSelect)
    {
        link.FlushPendingBegin();
        AnnounceStatement(link, frame.Span);
        link.Output.Write(frame.Span);
        await WritePath.FlushLinkAsync(link);
        if (countSelect)
        {
            link.Node.CountSelect();
        }

        var end = await ReadRepliesAsync(link, forward: true, summarize: false, ReplyStop.UntilReady);
        while (end == ReplyEnd.CopyIn)
        {
            // A Query string may go into copy-in more than once: each COPY's CopyDone is answered by the next statement.
            await _copyIn.RelayAsync([link], link);
            end = await ReadRepliesAsync(link, forward: true, summarize: false, ReplyStop.UntilReady);
        }

        await _idle.ThrowIfMainEndedMeanwhileAsync(link);
        FinishRequest(link);
    }

    /// <summary>
    /// After SELECT … FOR UPDATE SKIP LOCKED (or NOWAIT) ran on main alone: the rest of the transaction reads
    /// where its rows are locked.
    /// </summary>
    public void PinReadsToMain()
    {
        if (_state.Status != TransactionStatus.Idle)
        {
            _state.TransactionWrote = true;
        }
    }

    /// <summary>Tells the client the request is done, with the status of the node that answered it.</summary>
    public void FinishRequest(NodeLink answered)
    {
        SetClientStatus(answered);
        if (_inScript)
        {
            return; // a step of the client's query string: its ReadyForQuery comes once, after the last step
        }

        if (_silentSync)
        {
            _catalog.OnRequestFinished(); // pgproxy's own Sync before a pipelined Query: the client sent none
            return;
        }

        _catalog.OnRequestFinished();
        BackendMessageWriter.WriteReadyForQuery(_client.Output, answered.Status);
    }

    /// <summary>
    /// The statement's kind for routing: a read that calls a volatile function (or one listed in
    /// write_function_list) is a write. The database's volatile functions are read from main the first time.
    /// </summary>
    public async ValueTask<StatementKind> EffectiveKindAsync(StatementClassification statement)
    {
        if (statement.Kind != StatementKind.Read || statement.FunctionNames.Count == 0)
        {
            return statement.Kind;
        }

        var writes = _policy.CallsWriteFunction(statement, _session.Database);
        if (writes is null)
        {
            // The session's own reading, not the shared cache: under other sessions' DDL that may be gone again.
            writes = await _catalog.LoadVolatileFunctionsAsync() is not { } functions
                     || _policy.CallsWriteFunction(statement, functions);
        }

        return writes.Value ? StatementKind.Write : StatementKind.Read;
    }

    /// <summary>
    /// A read that goes to main without involving the others: the one request that may pass the others' owed
    /// answers (a transaction's read after its write), so it costs no wait for them.
    /// </summary>
    private bool ReadsFromMain(StatementKind kind) =>
        kind == StatementKind.Read && _state.Status == TransactionStatus.InTransaction
                                   && (_state.TransactionWrote || _state.StrictIsolation) && !Main.Owes;

    /// <summary>
    /// A plain write of the client's transaction goes to main while the others still work on the previous one:
    /// their answers are settled once main has answered, right before this statement is sent to them
    /// (RunWriteAsync), so main and the others run back to back instead of one after the other.
    /// </summary>
    private bool PassesOwedAnswers(StatementKind kind, StatementClassification statement) =>
        kind == StatementKind.Write && _state.Status == TransactionStatus.InTransaction && !Main.Owes
        && (statement.Flags & (StatementFlags.CopyFromStdin | StatementFlags.MultiStatement
                               | StatementFlags.TransactionControlInside)) == 0;

    private static ReadOnlySpan<byte> WithTerminator(ReadOnlySpan<byte> frame) => frame[5..];

    /// <summary>
    /// <c>notice_per_node_statement</c> and <c>log_per_node_statement</c>: which node runs what. Called wherever a
    /// client's statement is sent to a node, so it also counts the statement for that node.
    /// </summary>
    public void AnnounceStatement(NodeLink link, ReadOnlySpan<byte> frame)
    {
        link.Node.Statistics.CountStatement(RequestClass);
        var options = _runtime.Options;
        if (!options.NoticePerNodeStatement && !options.LogPerNodeStatement)
        {
            return;
        }

        var text = frame[0] == FrontendMessageType.Query
            ? System.Text.Encoding.UTF8.GetString(OthersFrames.QueryText(frame))
            : "(" + (char)frame[0] + " message)";
        if (options.NoticePerNodeStatement)
        {
            BackendMessageWriter.WriteNoticeResponse(_client.Output, "NOTICE", "00000",
                $"DB node id: {link.NodeId} statement: {text}");
        }

        if (options.LogPerNodeStatement)
        {
            Log.PerNodeStatement(_logger, link.NodeId, text);
        }
    }
}

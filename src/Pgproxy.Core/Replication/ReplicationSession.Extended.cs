using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using Pgproxy.Core.Determinism;
using Pgproxy.Core.Routing;
using Pgproxy.Protocol.Frontend;
using Pgproxy.Protocol.Messages;

namespace Pgproxy.Core.Replication;

internal sealed partial class ReplicationSession
{
    private static readonly byte[] SyncFrame = [(byte)'S', 0, 0, 0, 4];

    private readonly ExtendedGroup _group = new();
    private readonly StatementRegistry _statements = new();

    /// <summary>Statements defined by the current group's Parse messages, in order.</summary>
    private readonly List<(GroupFrame Frame, PreparedStatementInfo Info)> _defined = [];

    /// <summary>Statements the current group uses but does not define: parsed lazily where missing.</summary>
    private readonly List<(byte[] Name, PreparedStatementInfo Info)> _referenced = [];

    /// <summary>Statement names the current group closes.</summary>
    private readonly List<byte[]> _closed = [];

    /// <summary>Nodes that got extended-protocol messages since the last Sync: the next Sync must reach them all.</summary>
    private ulong _unsyncedMask;

    /// <summary>
    /// Runs the group of extended-protocol messages that a Sync (or Flush) just ended (DESIGN §3.5): a group that
    /// executes a write goes to every node, main first, the others once main has answered; any other group goes
    /// to one node. Each node gets the whole group in one write, preceded by Parse messages for statements it
    /// has not seen yet (their ParseComplete is swallowed).
    /// </summary>
    private async Task RunGroupAsync(bool sync)
    {
        try
        {
            RewriteAdminParses();
            if (_adminError is { } adminError)
            {
                // A refused ATTACH/DETACH NODE answers the group, as a failed Parse would.
                _adminError = null;
                await FailRequestAsync(adminError.SqlState, adminError.Message, sync, adminError.Hint);
                return;
            }

            var analysis = await AnalyzeGroupAsync();
            _requestClass = ClassOf(analysis);
            var main = Main;
            if (analysis.Refused is { } refused)
            {
                await RefuseAsync("0A000", refused, sync);
                return;
            }

            NodeLink[] targets;
            if (_clientStatus == TransactionStatus.Failed && !analysis.EndsTransaction)
            {
                targets = ReadTarget().AsTargets;
            }
            else if (analysis.EndsTransaction)
            {
                // Nodes whose deferred BEGIN never went out have nothing to end; the answering node comes first. A
                // node that still owes answers holds the transaction's held-back writes (its status is still the
                // Idle of before the BEGIN): it must get the COMMIT too, after they are settled.
                var answering = _failedLink is { } failed && IsLive(failed) ? failed : main;
                foreach (var link in _links)
                {
                    link.PendingBegin = null;
                }

                targets = [answering, .. _links.Where(l => l != answering && IsLive(l)
                    && (l.Status != TransactionStatus.Idle || l.Owes || (_unsyncedMask & l.Bit) != 0))];
            }
            else if (analysis.Replicated)
            {
                targets = [main, .. Others(main)];
            }
            else if (!analysis.Executes && _group.Frames.Count == 1 && _unsyncedMask != 0)
            {
                // A lone Sync (or Flush) ends what earlier Flush-ended groups left open: on those nodes, main last.
                targets = [.. _links.Where(l => IsLive(l) && (_unsyncedMask & l.Bit) != 0)];
            }
            else
            {
                targets = (analysis.LocksOnMain ? main : ReadTarget()).AsTargets;
                if (analysis.Executes)
                {
                    targets[0].Node.CountSelect();
                }

                if (analysis.LocksOnMain)
                {
                    PinReadsToMain();
                }
            }

            if (_othersOwe && !GroupPassesOwedAnswers(targets, sync, analysis)
                && await SettleOrRefuseAsync(writeReady: sync))
            {
                return;
            }

            if (sync)
            {
                await SyncStragglersAsync(targets);
            }

            if (targets.Length == 1)
            {
                await RunGroupOnAsync(targets[0], sync, analysis);
            }
            else if (!analysis.Replicated && !analysis.EndsTransaction)
            {
                await RunGroupOthersFirstAsync(targets, sync, analysis);
            }
            else if (analysis.EndsTransaction)
            {
                await RunGroupOthersFirstAsync(targets, sync, analysis);
            }
            else
            {
                await RunGroupReplicatedAsync(targets, sync, analysis);
            }

            foreach (var name in _closed)
            {
                if (_statements.GetStatement(name) is { } closed)
                {
                    var closeFrame = CloseFrame(name);
                    foreach (var link in _links)
                    {
                        if ((closed.ParsedOn & link.Bit) != 0 && !targets.Contains(link))
                        {
                            link.PendingCloses.Add(closeFrame);
                        }
                    }

                    _statements.RemoveStatement(name);
                }
            }

            if (sync && !_copyAteSync)
            {
                _unsyncedMask = 0;
            }
            else
            {
                foreach (var target in targets)
                {
                    _unsyncedMask |= target.Bit;
                }
            }
        }
        finally
        {
            _copyAteSync = false;
            _group.Clear();
            _defined.Clear();
            _referenced.Clear();
            _closed.Clear();
        }
    }

    /// <summary>
    /// A group that need not wait for the others' owed answers (see the simple protocol's ReadsFromMain and
    /// PassesOwedAnswers): one on main alone, or a plain DML group of the client's transaction, whose answers from
    /// the others simply join the owed ones (RunGroupReplicatedAsync settles first when they may not).
    /// </summary>
    private bool GroupPassesOwedAnswers(NodeLink[] targets, bool sync, in GroupAnalysis analysis)
    {
        if (targets.Length == 1)
        {
            return targets[0] == MainOrNull && !targets[0].Owes;
        }

        return sync && analysis.Writes && !analysis.NotPlainDml && !analysis.EndsTransaction
               && !analysis.HasTransactionControl && _clientStatus == TransactionStatus.InTransaction && !Main.Owes;
    }

    /// <summary>A group that only reads (or a failed transaction's): one node answers everything.</summary>
    private async Task RunGroupOnAsync(NodeLink link, bool sync, GroupAnalysis analysis)
    {
        SendGroup(link, isMain: true, internalTransaction: false, analysis);
        await FlushLinkAsync(link);
        await ReadGroupRepliesAsync(link, link.AsTargets, forward: true, summarize: false, sync, analysis);
        if (sync)
        {
            FinishRequest(link);
        }
    }

    /// <summary>A group that writes: main first, then the others, compared, then committed (see RunWriteAsync).</summary>
    private async Task RunGroupReplicatedAsync(NodeLink[] targets, bool sync, GroupAnalysis analysis)
    {
        var main = targets[0];
        var others = targets[1..];
        var internalTransaction = (sync || analysis.CopiesIn) && analysis.Writes && !analysis.HasTransactionControl
                                  && !analysis.OutsideTransaction && _clientStatus == TransactionStatus.Idle && (_unsyncedMask & main.Bit) == 0;
        if (analysis.CopiesIn)
        {
            await RunGroupCopyInAsync(main, others, sync, internalTransaction, analysis);
            return;
        }

        SendGroup(main, isMain: true, internalTransaction, analysis);
        main.Summary.Clear();
        main.SwallowedError = null;
        var mainStarted = _runtime.Time.GetTimestamp();
        await FlushLinkAsync(main);
        var answerStart = _forwardedBytes;
        if (sync && (internalTransaction || _clientStatus != TransactionStatus.InTransaction || _othersOwe))
        {
            HoldAnswer(keepUntilResult: true); // see RunWriteAsync
        }

        await ReadGroupRepliesAsync(main, targets, forward: true, summarize: true, sync, analysis);
        var mainTime = _runtime.Time.GetElapsedTime(mainStarted);
        if (main.Summary.HasError)
        {
            ReleaseHeldAnswer();
            if (internalTransaction)
            {
                main.Inject(InjectedQueries.Rollback, InjectedReply.QueryCycle);
                await FlushLinkAsync(main);
                await ReadRepliesAsync(main, forward: false, summarize: false, ReplyStop.UntilDrained);
            }

            if (sync)
            {
                FinishRequest(main);
            }

            return;
        }

        var deferred = sync && !internalTransaction && main.Status == TransactionStatus.InTransaction
                       && _clientStatus == TransactionStatus.InTransaction;
        var passes = deferred && !analysis.NotPlainDml && WithinOwedLimits(others, _forwardedBytes - answerStart);
        if (!passes && await SettleOrRaiseAsync(writeReady: sync))
        {
            return;
        }

        if (deferred)
        {
            ReleaseHeldAnswer(); // compared at a later group (see RunWriteAsync)
        }

        foreach (var other in others)
        {
            other.Summary.Clear();
            other.SwallowedError = null;
            SendGroup(other, isMain: false, internalTransaction, analysis);
        }

        await FlushUnlessHeldBackAsync(others, passes);

        if (deferred)
        {
            // Inside the client's transaction: the others' answers are compared later (see Defer).
            Defer(main, others, _forwardedBytes - answerStart, mainTime);
            if (analysis.ChangesFunctions)
            {
                _policy.Volatility.Invalidate(_session.Database);
            }

            _transactionWrote |= analysis.Writes;
            FinishRequest(main);
            return;
        }

        BeginAnswerBound(main, mainTime);
        try
        {
            foreach (var other in others)
            {
                if (other.Detached)
                {
                    continue;
                }

                try
                {
                    await ReadGroupRepliesAsync(other, targets, forward: false, summarize: true, sync, analysis);
                }
                catch (Exception e) when (IsNodeFailure(e))
                {
                    Degenerate(other, "read failed: " + e.Message);
                }
            }
        }
        finally
        {
            EndAnswerBound();
        }

        var mismatch = CompareWithMain(main, others);
        if (analysis.ChangesFunctions)
        {
            _policy.Volatility.Invalidate(_session.Database);
        }

        if (internalTransaction)
        {
            await EndInternalTransactionAsync(main, others, commit: mismatch is null);
            if (mismatch is not null)
            {
                WriteClientError("XX001", mismatch);
            }
        }
        else if (mismatch is not null && sync
                 && (_clientStatus != TransactionStatus.Idle || main.Status != TransactionStatus.Idle))
        {
            await FailRequestAsync("XX001", mismatch, writeReady: true);
            return;
        }

        ReleaseHeldAnswer();

        if (analysis.Writes && _clientStatus != TransactionStatus.Idle)
        {
            _transactionWrote = true;
        }

        if (sync)
        {
            FinishRequest(main);
        }
    }

    /// <summary>
    /// A group that ends the client's transaction (COMMIT/ROLLBACK through the extended protocol), or a lone
    /// Sync for several nodes: the others first, main last, main's answer to the client.
    /// </summary>
    private async Task RunGroupOthersFirstAsync(NodeLink[] targets, bool sync, GroupAnalysis analysis)
    {
        var main = targets[0];
        var others = targets[1..];
        var rollBackOthers = analysis.EndsTransaction && _clientStatus == TransactionStatus.Failed;
        foreach (var other in others)
        {
            other.Summary.Clear();
            if (rollBackOthers && other.Status != TransactionStatus.Idle && (_unsyncedMask & other.Bit) == 0)
            {
                // COMMIT of a failed transaction: PostgreSQL rolls back; the nodes that did not fail must too.
                other.Inject(InjectedQueries.Rollback, InjectedReply.QueryCycle);
                continue;
            }

            SendGroup(other, isMain: false, internalTransaction: false, analysis);
        }

        await FlushOthersAsync(others);
        BeginAnswerBound(MainOrNull, TimeSpan.Zero); // they run it before main: the setting alone bounds them
        try
        {
            foreach (var other in others)
            {
                if (other.Detached)
                {
                    continue;
                }

                try
                {
                    if (other.Injected.Count > 0 && rollBackOthers)
                    {
                        await ReadRepliesAsync(other, forward: false, summarize: false, ReplyStop.UntilDrained);
                    }
                    else
                    {
                        await ReadGroupRepliesAsync(other, targets, forward: false, summarize: true, sync, analysis);
                    }
                }
                catch (Exception e) when (IsNodeFailure(e))
                {
                    Degenerate(other, "read failed: " + e.Message);
                }
            }
        }
        finally
        {
            EndAnswerBound();
        }

        SendGroup(main, isMain: true, internalTransaction: false, analysis);
        await FlushLinkAsync(main);
        main.Summary.Clear();
        await ReadGroupRepliesAsync(main, targets, forward: true, summarize: true, sync, analysis);
        foreach (var other in others)
        {
            if (!other.Detached && other.Summary.HasError && !main.Summary.HasError)
            {
                Degenerate(other, $"it failed to end the transaction: {other.Summary}");
            }
        }

        if (sync)
        {
            FinishRequest(main);
        }
    }

    /// <summary>Reads one node's answer to a group, streaming a COPY FROM STDIN to every target if one starts.</summary>
    private async Task ReadGroupRepliesAsync(NodeLink link, NodeLink[] targets, bool forward, bool summarize,
        bool sync, GroupAnalysis analysis)
    {
        if (!sync && analysis.Completions == 0)
        {
            // A Flush with nothing before it that answers: PostgreSQL sends nothing, so waiting would hang the
            // session (and never see the client's next message). Replies to anything pgproxy injected are
            // swallowed by the next read on this node, in order.
            return;
        }

        var stop = sync ? ReplyStop.UntilReady : ReplyStop.UntilCompletions;
        _completionsLeft = analysis.Completions;
        while (await ReadRepliesAsync(link, forward, summarize, stop) == ReplyEnd.CopyIn)
        {
            if (forward)
            {
                await CopyInAsync(targets, link);
            }
        }
    }

    /// <summary>
    /// Writes the group to one node: the client's deferred BEGIN and the internal BEGIN (main also gets the
    /// insert lock and the timestamp query), Close messages it missed, lazy Parses of statements it lacks, then
    /// the client's messages — with Parse texts carrying main's timestamp for the other nodes.
    /// </summary>
    private void SendGroup(NodeLink link, bool isMain, bool internalTransaction, GroupAnalysis analysis)
    {
        link.FlushPendingBegin();
        if (internalTransaction)
        {
            link.Inject(InjectedQueries.Begin, InjectedReply.QueryCycle);
        }

        var canInjectQueries = (_unsyncedMask & link.Bit) == 0;
        if (isMain && analysis.LockTable is { } lockTable && canInjectQueries
            && (internalTransaction || _clientStatus != TransactionStatus.Idle))
        {
            link.Inject(InjectedQueries.LockTable(lockTable), InjectedReply.QueryCycle);
        }

        if (isMain && analysis.RewritesTime)
        {
            // Without the query (main is inside an unsynced pipeline) there is no timestamp: an earlier one would be
            // wrong, so the others then get the text as it is.
            _mainNow = null;
            if (canInjectQueries)
            {
                link.Inject(InjectedQueries.SelectNow, InjectedReply.NowQueryCycle);
            }
        }

        if (isMain && analysis.CopyPlan is { } copyPlan)
        {
            // Main evaluates the defaults the COPY leaves out, in the COPY's transaction: the others get its values.
            _mainDefaults = null;
            if (canInjectQueries)
            {
                link.Inject(InjectedQueries.Encode(copyPlan.ValuesQuery), InjectedReply.DefaultsQueryCycle);
            }
        }

        link.FlushPendingCloses();
        foreach (var (name, info) in _referenced)
        {
            if (!isMain && OthersParseFrame(info.ParseFrame, info) is { } rewritten)
            {
                if ((info.ParsedOn & link.Bit) != 0)
                {
                    link.Inject(CloseFrame(name), InjectedReply.CloseComplete);
                }

                link.Inject(rewritten, InjectedReply.ParseComplete);
                info.ParsedOn |= link.Bit;
            }
            else if ((info.ParsedOn & link.Bit) == 0)
            {
                link.Inject(info.ParseFrame, InjectedReply.ParseComplete);
                info.ParsedOn |= link.Bit;
            }
        }

        AnnounceStatement(link, _group.Frame(_group.Frames[0]));
        var output = link.Output;
        foreach (var frame in _group.Frames)
        {
            if (frame.Type == FrontendMessageType.Parse && DefinedInfo(frame) is { } info)
            {
                info.ParsedOn |= link.Bit;
                if (!isMain && OthersParseFrame(_group.Frame(frame), info) is { } rewritten)
                {
                    output.Write(rewritten);
                    continue;
                }
            }

            output.Write(_group.Frame(frame));
        }
    }

    private PreparedStatementInfo? DefinedInfo(GroupFrame frame)
    {
        foreach (var (defined, info) in _defined)
        {
            if (defined.Offset == frame.Offset)
            {
                return info;
            }
        }

        return null;
    }

    /// <summary>
    /// Before a Sync group that does not include every node left unsynced by earlier Flush-ended groups, those
    /// nodes get a Sync of their own so their implicit transaction ends too.
    /// </summary>
    private async Task SyncStragglersAsync(NodeLink[] targets)
    {
        if (_unsyncedMask == 0)
        {
            return;
        }

        foreach (var link in _links)
        {
            if ((_unsyncedMask & link.Bit) == 0 || targets.Contains(link) || !IsLive(link))
            {
                continue;
            }

            try
            {
                link.Output.Write(SyncFrame);
                await link.Output.FlushAsync();
                await ReadRepliesAsync(link, forward: false, summarize: false, ReplyStop.UntilReady);
            }
            catch (Exception e) when (IsNodeFailure(e))
            {
                Degenerate(link, "read failed: " + e.Message);
            }
        }
    }

    /// <summary>
    /// Reads the group's messages: registers statements and portals, works out which statements must be parsed
    /// lazily, and what the group does — whether it executes a write, ends the transaction, needs main's time.
    /// </summary>
    private async ValueTask<GroupAnalysis> AnalyzeGroupAsync()
    {
        var analysis = new GroupAnalysis();
        foreach (var frame in _group.Frames)
        {
            var body = _group.Frame(frame)[5..];
            switch (frame.Type)
            {
                case FrontendMessageType.Parse:
                {
                    var (existing, statement, nameLength) = LookUpParse(frame);
                    var info = existing;
                    if (info is null)
                    {
                        var kind = await EffectiveKindAsync(statement!);
                        info = new PreparedStatementInfo(_group.Frame(frame).ToArray(), statement!, kind);
                        _statements.SetStatement(_group.Frame(frame).Slice(5, nameLength), info);
                    }

                    _defined.Add((frame, info));
                    analysis.Completions++;
                    break;
                }

                case FrontendMessageType.Bind:
                {
                    var bind = BindMessage.Read(body);
                    var info = _statements.GetStatement(bind.StatementName);
                    Reference(bind.StatementName, info);
                    _statements.SetPortal(bind.PortalName, info);
                    analysis.Completions++;
                    break;
                }

                case FrontendMessageType.Describe:
                {
                    var describe = DescribeMessage.Read(body);
                    if (describe.Target == PortalOrStatement.Statement)
                    {
                        Reference(describe.Name, _statements.GetStatement(describe.Name));
                    }

                    analysis.Completions++;
                    break;
                }

                case FrontendMessageType.Execute:
                {
                    var info = _statements.GetPortal(ExecuteMessage.Read(body).PortalName);
                    analysis.Executes = true;
                    analysis.Completions++;
                    if (info is null)
                    {
                        analysis.NotPlainDml = true;
                        break;
                    }

                    analysis.NotPlainDml |= info.Kind != StatementKind.Write || !IsPlainDml(info.Classification);

                    switch (info.Kind)
                    {
                        case StatementKind.Read:
                            analysis.LocksOnMain |= info.Classification.Flags.HasFlag(StatementFlags.LocksOnMainOnly)
                                                    || BackendSignalFunctions.OnlyCalledBy(info.Classification);
                            break;
                        case StatementKind.Begin:
                            analysis.Replicated = true;
                            analysis.HasTransactionControl = true;
                            break;
                        case StatementKind.Commit or StatementKind.Rollback:
                            analysis.HasTransactionControl = true;
                            analysis.EndsTransaction = _clientStatus != TransactionStatus.Idle;
                            break;
                        case StatementKind.SessionState:
                            analysis.Replicated = true;
                            if (info.Classification.FirstKeyword == "PREPARE")
                            {
                                // PREPARE … AS INSERT: a default its stored body leaves to the nodes can't be spelled out.
                                analysis.Refused ??= await PlanPreparedDefaultsAsync(info);
                            }

                            break;
                        default:
                            analysis.Replicated = true;
                            analysis.Writes = true;
                            if (info.Kind == StatementKind.WriteOutsideTransaction)
                            {
                                analysis.OutsideTransaction = true;
                                await ReleaseDatabasesAsync(info);
                            }

                            var refusedDefaults = await PlanPreparedDefaultsAsync(info);
                            analysis.RewritesTime |= info.RewritesTime;
                            analysis.Refused ??= _policy.RefusedFunction(info.Classification) is { } function
                                ? NondeterministicMessage(function)
                                : RefusedTiming(info.Classification) ?? refusedDefaults;
                            analysis.LockTable ??= await InsertLockTableAsync(info.Classification);
                            if (info.Classification.Flags.HasFlag(StatementFlags.CopyFromStdin))
                            {
                                analysis.CopiesIn = true;
                                var copyPlan = await PlanCopyDefaultsAsync(info.Classification, info.ParseFrame,
                                    isParse: true);
                                analysis.Refused ??= _policy.RefuseNondeterministic ? copyPlan?.Refusal : null;
                                if (copyPlan is { Columns.Count: > 0 })
                                {
                                    analysis.CopyPlan = copyPlan;
                                    analysis.CopyStatement = info;
                                }
                            }

                            analysis.ChangesFunctions |= info.Classification.FirstKeyword is "CREATE" or "ALTER"
                                or "DROP";
                            break;
                    }

                    break;
                }

                case FrontendMessageType.Close:
                {
                    var close = CloseMessage.Read(body);
                    if (close.Target == PortalOrStatement.Statement)
                    {
                        _closed.Add(close.Name.ToArray());
                    }
                    else
                    {
                        _statements.SetPortal(close.Name, null);
                    }

                    analysis.Completions++;
                    break;
                }

                default:
                    break;
            }
        }

        if (analysis.EndsTransaction)
        {
            analysis.Replicated = false;
        }

        return analysis;
    }

    /// <summary>
    /// A Parse: the statement already registered under its name when it is the very same message (pgbench -M
    /// extended repeats its Parse: nothing to allocate then), else the classification of its text.
    /// </summary>
    private (PreparedStatementInfo? Existing, StatementClassification? Statement, int NameLength) LookUpParse(
        GroupFrame frame)
    {
        var parse = ParseMessage.Read(_group.Frame(frame)[5..]);
        var existing = _statements.GetStatement(parse.StatementName);
        if (existing is not null && existing.ParseFrame.AsSpan().SequenceEqual(_group.Frame(frame)))
        {
            return (existing, null, parse.StatementName.Length);
        }

        return (null, _policy.Classifications.Get(parse.Query), parse.StatementName.Length);
    }

    /// <summary>Notes a statement the group uses without defining it, once.</summary>
    private void Reference(ReadOnlySpan<byte> name, PreparedStatementInfo? info)
    {
        if (info is null)
        {
            return;
        }

        foreach (var (_, defined) in _defined)
        {
            if (defined == info)
            {
                return;
            }
        }

        foreach (var (_, referenced) in _referenced)
        {
            if (referenced == info)
            {
                return;
            }
        }

        _referenced.Add((name.ToArray(), info));
    }

    private static byte[] CloseFrame(ReadOnlySpan<byte> name)
    {
        var frame = new byte[name.Length + 7];
        frame[0] = (byte)'C';
        BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(1), name.Length + 6);
        frame[5] = (byte)'S';
        name.CopyTo(frame.AsSpan(6));
        return frame;
    }

    /// <summary>
    /// The Parse message with main's timestamp in place of now() and CURRENT_*, and of the defaults the INSERT
    /// leaves out; parameters stay as they are.
    /// </summary>
    private static byte[] RewriteParseFrame(ReadOnlySpan<byte> frame, IReadOnlyList<TimeFunctionSpan> spans,
        DefaultsRewrite? defaults, string? now, IReadOnlyList<RestoredDefault> restores)
    {
        var body = frame[5..];
        var parse = ParseMessage.Read(body);
        var queryStart = parse.QueryOffset;
        var rest = body[parse.AfterQueryOffset..];
        var rewritten = Encoding.UTF8.GetBytes(
            RewriteForOthers(Encoding.UTF8.GetString(parse.Query), spans, defaults, now, restores));
        var length = 4 + parse.StatementName.Length + 1 + rewritten.Length + 1 + rest.Length;
        var result = new byte[length + 1];
        result[0] = (byte)'P';
        BinaryPrimitives.WriteInt32BigEndian(result.AsSpan(1), length);
        body[..queryStart].CopyTo(result.AsSpan(5));
        rewritten.CopyTo(result.AsSpan(5 + queryStart));
        rest.CopyTo(result.AsSpan(5 + queryStart + rewritten.Length + 1));
        return result;
    }

    /// <summary>What a group does, for routing it.</summary>
    private struct GroupAnalysis
    {
        public bool Executes { get; set; }

        public bool Replicated { get; set; }

        public bool Writes { get; set; }

        public bool HasTransactionControl { get; set; }

        /// <summary>
        /// Executes a statement PostgreSQL refuses inside a transaction block (CREATE/DROP DATABASE, VACUUM…): it
        /// runs main first, then the others, without the internal transaction, as in the simple protocol.
        /// </summary>
        public bool OutsideTransaction { get; set; }

        public bool EndsTransaction { get; set; }

        public bool RewritesTime { get; set; }

        public bool ChangesFunctions { get; set; }

        /// <summary>Some Execute of the group is not plain DML (IsPlainDml): settle the others first.</summary>
        public bool NotPlainDml { get; set; }

        /// <summary>A read that locks rows with SKIP LOCKED or NOWAIT: main alone runs it.</summary>
        public bool LocksOnMain { get; set; }

        /// <summary>The group executes a COPY FROM STDIN: its data follows once main answers CopyInResponse.</summary>
        public bool CopiesIn { get; set; }

        /// <summary>Defaults the COPY leaves out that the others must get main's values of.</summary>
        public CopyDefaultsPlan? CopyPlan { get; set; }

        /// <summary>The statement the COPY runs, whose text the others get with the columns added.</summary>
        public PreparedStatementInfo? CopyStatement { get; set; }

        public int Completions { get; set; }

        /// <summary>The table <c>insert_lock</c> serialises for the group's INSERT, if any.</summary>
        public string? LockTable { get; set; }

        /// <summary>
        /// Why the group's write is refused (a nondeterministic function, a volatile default left to the nodes),
        /// when such writes are refused.
        /// </summary>
        public string? Refused { get; set; }
    }
}

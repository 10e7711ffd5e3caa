using Pgproxy.Core.Routing;
using Pgproxy.Protocol.Frontend;
using Pgproxy.Protocol.Messages;

namespace Pgproxy.Core.Replication;

/// <summary>
/// Reads an extended-protocol group before it runs (DESIGN §3.5): registers its statements and portals, notes the
/// statements it uses without defining them (the nodes that lack them get a Parse first) and those it closes, and
/// works out what it does — whether it executes a write, ends the transaction, needs main's time, is refused —
/// as a <see cref="GroupAnalysis"/> the runner routes by. Also where a group that commits in its middle is cut
/// (<c>.Commits</c>) and the admin commands in its Parses (<c>.Admin</c>).
/// </summary>
internal sealed partial class GroupAnalyzer
{
    private readonly ExtendedGroup _group;
    private readonly StatementRegistry _statements;
    private readonly IRequestHost _host;
    private readonly TwoPhaseCommit _twoPhase;
    private readonly ClientState _state;
    private readonly IdleWatch _idle;
    private readonly MainCatalog _catalog;
    private readonly RoutingPolicy _policy;

    /// <summary>Statements defined by the current group's Parse messages, in order.</summary>
    private readonly List<(GroupFrame Frame, PreparedStatementInfo Info)> _defined = [];

    /// <summary>Statements the current group uses but does not define: parsed lazily where missing.</summary>
    private readonly List<(byte[] Name, PreparedStatementInfo Info)> _referenced = [];

    /// <summary>
    /// Statements the current group closes, each as it was when closed: the group may parse a new one under the same
    /// name, and the nodes the old one was parsed on must still close it.
    /// </summary>
    private readonly List<(byte[] Name, PreparedStatementInfo? Info)> _closed = [];

    public GroupAnalyzer(ExtendedGroup group, StatementRegistry statements, IRequestHost host, TwoPhaseCommit twoPhase,
        ClientState state, IdleWatch idle, MainCatalog catalog, RoutingPolicy policy)
    {
        _group = group;
        _statements = statements;
        _host = host;
        _twoPhase = twoPhase;
        _state = state;
        _idle = idle;
        _catalog = catalog;
        _policy = policy;
    }

    /// <summary>Statements the current group uses but does not define, by the name it uses.</summary>
    public IReadOnlyList<(byte[] Name, PreparedStatementInfo Info)> Referenced => _referenced;

    /// <summary>Statements the current group closes, each as it was when closed (null: one pgproxy did not know).</summary>
    public IReadOnlyList<(byte[] Name, PreparedStatementInfo? Info)> Closed => _closed;

    /// <summary>Forgets the group just run.</summary>
    public void Clear()
    {
        _defined.Clear();
        _referenced.Clear();
        _closed.Clear();
    }

    /// <summary>
    /// Reads the group's messages: registers statements and portals, works out which statements must be parsed
    /// lazily, and what the group does — whether it executes a write, ends the transaction, needs main's time.
    /// <paramref name="partEndsTransaction"/>: the group is the COMMIT part of a group cut in parts.
    /// </summary>
    public async ValueTask<GroupAnalysis> AnalyzeAsync(bool partEndsTransaction)
    {
        var analysis = new GroupAnalysis();
        GroupFrame? bound = null;
        foreach (var frame in _group.Frames)
        {
            switch (frame.Type)
            {
                case FrontendMessageType.Parse:
                    await DefineAsync(frame);
                    analysis.Completions++;
                    break;
                case FrontendMessageType.Bind:
                    Bind(_group.Frame(frame)[5..]);
                    analysis.Completions++;
                    bound = frame;
                    break;
                case FrontendMessageType.Describe:
                    Describe(_group.Frame(frame)[5..]);
                    analysis.Completions++;
                    break;
                case FrontendMessageType.Execute:
                    var portal = _statements.GetPortal(ExecuteMessage.Read(_group.Frame(frame)[5..]).PortalName);
                    analysis = await ExecuteAsync(analysis, portal, partEndsTransaction);
                    analysis = NoteLargeObject(analysis, portal, BoundPortal(bound, frame));
                    break;
                case FrontendMessageType.Close:
                    Close(_group.Frame(frame)[5..]);
                    analysis.Completions++;
                    break;
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

    /// <summary>A Parse: its statement, registered under its name (classified once per distinct message).</summary>
    private async ValueTask DefineAsync(GroupFrame frame)
    {
        var (existing, statement, nameLength) = LookUpParse(frame);
        var info = existing;
        if (info is null)
        {
            var kind = await _host.EffectiveKindAsync(statement!);
            info = new PreparedStatementInfo(_group.Frame(frame).ToArray(), statement!, kind);
            _statements.SetStatement(_group.Frame(frame).Slice(5, nameLength), info);
        }

        _defined.Add((frame, info));
    }

    private void Bind(ReadOnlySpan<byte> body)
    {
        var bind = BindMessage.Read(body);
        var info = _statements.GetStatement(bind.StatementName);
        Reference(bind.StatementName, info);
        _statements.SetPortal(bind.PortalName, info);
    }

    private void Describe(ReadOnlySpan<byte> body)
    {
        var describe = DescribeMessage.Read(body);
        if (describe.Target == PortalOrStatement.Statement)
        {
            Reference(describe.Name, _statements.GetStatement(describe.Name));
        }
    }

    private void Close(ReadOnlySpan<byte> body)
    {
        var close = CloseMessage.Read(body);
        if (close.Target == PortalOrStatement.Statement)
        {
            _closed.Add((close.Name.ToArray(), _statements.GetStatement(close.Name)));
        }
        else
        {
            _statements.SetPortal(close.Name, null);
        }
    }

    /// <summary>An Execute of <paramref name="info"/>'s portal (null: a portal pgproxy does not know).</summary>
    private async ValueTask<GroupAnalysis> ExecuteAsync(GroupAnalysis analysis, PreparedStatementInfo? info,
        bool partEndsTransaction)
    {
        analysis.StartsWithRollbackTo |= !analysis.Executes && info is not null && Router.IsRollbackToSavepoint(info.Kind, info.Classification);
        var first = !analysis.Executes;
        if (first)
        {
            analysis.FirstKeyword = info?.Classification.FirstKeyword ?? "";
        }

        analysis.Executes = true;
        analysis.ExecuteCount++;
        analysis.Completions++;
        if (info is null)
        {
            analysis.NotPlainDml = true;
            analysis.ReadingWrite = null;
            return analysis;
        }

        analysis.NotPlainDml |= info.Kind != StatementKind.Write || !WritePath.IsPlainDml(info.Classification);
        analysis.ReadingWrite = first && info.Classification.Flags.HasFlag(StatementFlags.ReadsOtherRows)
            ? info.Classification
            : null; // a second Execute: more than one statement is not run again
        _twoPhase.NoteLimits(info.Classification, ParseMessage.Read(info.ParseFrame.AsSpan(5)).Query);
        if (MainOnlyFunctions.Terminates(info.Classification))
        {
            _host.TerminatesBackends = true;
        }

        switch (info.Kind)
        {
            case StatementKind.Read:
                analysis.LocksOnMain |= Router.ReadsOnMain(info.Classification);
                break;
            case StatementKind.Begin:
                analysis.Replicated = true;
                analysis.HasTransactionControl = true;
                analysis.BeginsTransaction |= _state.Status == TransactionStatus.Idle;
                if (first && _state.Status == TransactionStatus.Idle)
                {
                    analysis.LeadingBegin = info;
                }

                break;
            case StatementKind.Commit or StatementKind.Rollback:
                analysis.HasTransactionControl = true;
                analysis.EndsTransaction = _state.Status != TransactionStatus.Idle || partEndsTransaction;
                break;
            case StatementKind.SessionState:
                var query = ParseMessage.Read(info.ParseFrame.AsSpan(5)).Query;
                if (TransactionModes.ImportsSnapshot(info.Classification.FirstKeyword, query))
                {
                    analysis.LocksOnMain = true; // main alone: see ImportsSnapshot
                    _state.SnapshotShared = true;
                    break;
                }

                analysis.Replicated = true;
                _state.NoteSessionSetting(info.Classification.FirstKeyword, query);
                if (info.Classification.FirstKeyword == "LISTEN")
                {
                    // As in the simple protocol: notifications reach the idle client at once.
                    _idle.Listening = true;
                }
                else if (info.Classification.FirstKeyword == "PREPARE")
                {
                    // PREPARE … AS INSERT: a default its stored body leaves to the nodes can't be spelled out.
                    analysis.Refused ??= await _catalog.PlanPreparedDefaultsAsync(info);
                }

                break;
            default:
                analysis = await WriteAsync(analysis, info);
                break;
        }

        return analysis;
    }

    /// <summary>An Execute of a write: what its determinism, insert_lock and COPY need.</summary>
    private async ValueTask<GroupAnalysis> WriteAsync(GroupAnalysis analysis, PreparedStatementInfo info)
    {
        analysis.Replicated = true;
        analysis.Writes = true;
        analysis.ChangesSchema |= info.Classification.Flags.HasFlag(StatementFlags.SchemaChange);
        analysis.CallsSetConfig |= info.Classification.Calls("set_config");
        if (info.Kind == StatementKind.WriteOutsideTransaction)
        {
            analysis.OutsideTransaction = true;
            await _host.ReleaseDatabasesAsync(ParseMessage.Read(info.ParseFrame.AsSpan(5)).Query);
        }

        var refusedDefaults = await _catalog.PlanPreparedDefaultsAsync(info);
        analysis.RewritesTime |= info.RewritesTime;
        if (analysis.Refused is null && (_host.RefusedWrite(info.Classification) ?? refusedDefaults) is { } refused)
        {
            analysis.Refused = refused;
            analysis.RefusedStatement = info;
        }
        analysis.LockTable ??= await _catalog.InsertLockTableAsync(info.Classification);
        if (info.Classification.Flags.HasFlag(StatementFlags.CopyFromStdin))
        {
            analysis.CopiesIn = true;
            var copyPlan = await _catalog.PlanCopyDefaultsAsync(info.Classification, info.ParseFrame, isParse: true);
            analysis.Refused ??= _policy.RefuseNondeterministic ? copyPlan?.Refusal : null;
            if (copyPlan is { Columns.Count: > 0 })
            {
                analysis.CopyPlan = copyPlan;
                analysis.CopyStatement = info;
            }
        }

        analysis.ChangesFunctions |= info.Classification.FirstKeyword is "CREATE" or "ALTER" or "DROP";
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

    public PreparedStatementInfo? DefinedInfo(GroupFrame frame)
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
}

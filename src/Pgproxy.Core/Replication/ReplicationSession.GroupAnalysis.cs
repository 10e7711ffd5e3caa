using Pgproxy.Core.Determinism;
using Pgproxy.Core.Routing;
using Pgproxy.Protocol.Frontend;
using Pgproxy.Protocol.Messages;

namespace Pgproxy.Core.Replication;

/// <summary>The extended protocol, continued: what a group does, read from its messages before it runs.</summary>
internal sealed partial class ReplicationSession
{
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

                    analysis.NotPlainDml |= info.Kind != StatementKind.Write || !WritePath.IsPlainDml(info.Classification);
                    _twoPhase.NoteLimits(info.Classification, ParseMessage.Read(info.ParseFrame.AsSpan(5)).Query);

                    switch (info.Kind)
                    {
                        case StatementKind.Read:
                            analysis.LocksOnMain |= info.Classification.Flags.HasFlag(StatementFlags.LocksOnMainOnly)
                                                    || MainOnlyFunctions.AnyCalledBy(info.Classification)
                                                    || CatalogReadFunctions.AnyUsesTransactionIds(info.Classification);
                            break;
                        case StatementKind.Begin:
                            analysis.Replicated = true;
                            analysis.HasTransactionControl = true;
                            break;
                        case StatementKind.Commit or StatementKind.Rollback:
                            analysis.HasTransactionControl = true;
                            analysis.EndsTransaction = _state.Status != TransactionStatus.Idle || _partEndsTransaction;
                            break;
                        case StatementKind.SessionState:
                            analysis.Replicated = true;
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
                            analysis.Replicated = true;
                            analysis.Writes = true;
                            analysis.ChangesSchema |= info.Classification.Flags.HasFlag(StatementFlags.SchemaChange);
                            if (info.Kind == StatementKind.WriteOutsideTransaction)
                            {
                                analysis.OutsideTransaction = true;
                                await ReleaseDatabasesAsync(info);
                            }

                            var refusedDefaults = await _catalog.PlanPreparedDefaultsAsync(info);
                            analysis.RewritesTime |= info.RewritesTime;
                            analysis.Refused ??= _policy.RefusedFunction(info.Classification) is { } function
                                ? NondeterministicMessage(function)
                                : RefusedTiming(info.Classification) ?? refusedDefaults;
                            analysis.LockTable ??= await _catalog.InsertLockTableAsync(info.Classification);
                            if (info.Classification.Flags.HasFlag(StatementFlags.CopyFromStdin))
                            {
                                analysis.CopiesIn = true;
                                var copyPlan = await _catalog.PlanCopyDefaultsAsync(info.Classification, info.ParseFrame,
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

        /// <summary>Some Execute changes the schema (refused while a recovery copies main).</summary>
        public bool ChangesSchema { get; set; }

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

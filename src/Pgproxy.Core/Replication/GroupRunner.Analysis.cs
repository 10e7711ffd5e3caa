using Pgproxy.Core.Routing;
using Pgproxy.Protocol.Frontend;
using Pgproxy.Protocol.Messages;

namespace Pgproxy.Core.Replication;

/// <summary>The extended protocol, continued: what a group does, read from its messages before it runs.</summary>
internal sealed partial class GroupRunner
{
    /// <summary>
    /// Reads the group's messages: registers statements and portals, works out which statements must be parsed
    /// lazily, and what the group does — whether it executes a write, ends the transaction, needs main's time.
    /// </summary>
    private async ValueTask<GroupAnalysis> AnalyzeGroupAsync()
    {
        var analysis = new GroupAnalysis();
        foreach (var frame in Group.Frames)
        {
            var body = Group.Frame(frame)[5..];
            switch (frame.Type)
            {
                case FrontendMessageType.Parse:
                {
                    var (existing, statement, nameLength) = LookUpParse(frame);
                    var info = existing;
                    if (info is null)
                    {
                        var kind = await _host.EffectiveKindAsync(statement!);
                        info = new PreparedStatementInfo(Group.Frame(frame).ToArray(), statement!, kind);
                        Statements.SetStatement(Group.Frame(frame).Slice(5, nameLength), info);
                    }

                    _defined.Add((frame, info));
                    analysis.Completions++;
                    break;
                }

                case FrontendMessageType.Bind:
                {
                    var bind = BindMessage.Read(body);
                    var info = Statements.GetStatement(bind.StatementName);
                    Reference(bind.StatementName, info);
                    Statements.SetPortal(bind.PortalName, info);
                    analysis.Completions++;
                    break;
                }

                case FrontendMessageType.Describe:
                {
                    var describe = DescribeMessage.Read(body);
                    if (describe.Target == PortalOrStatement.Statement)
                    {
                        Reference(describe.Name, Statements.GetStatement(describe.Name));
                    }

                    analysis.Completions++;
                    break;
                }

                case FrontendMessageType.Execute:
                {
                    var info = Statements.GetPortal(ExecuteMessage.Read(body).PortalName);
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
                                await _host.ReleaseDatabasesAsync(info);
                            }

                            var refusedDefaults = await _catalog.PlanPreparedDefaultsAsync(info);
                            analysis.RewritesTime |= info.RewritesTime;
                            analysis.Refused ??= _host.RefusedWrite(info.Classification) ?? refusedDefaults;
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
                        Statements.SetPortal(close.Name, null);
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
        var parse = ParseMessage.Read(Group.Frame(frame)[5..]);
        var existing = Statements.GetStatement(parse.StatementName);
        if (existing is not null && existing.ParseFrame.AsSpan().SequenceEqual(Group.Frame(frame)))
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
}

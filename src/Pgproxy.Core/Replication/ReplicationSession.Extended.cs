using System.Buffers;
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
            await PrepareAdminParsesAsync();
            RewriteAdminParses();
            if (_adminError is { } adminError)
            {
                // A refused ATTACH/DETACH NODE answers the group, as a failed Parse would.
                _adminError = null;
                await FailRequestAsync(adminError.SqlState, adminError.Message, sync, adminError.Hint);
                return;
            }

            var analysis = await AnalyzeGroupAsync();
            if (analysis.Writes)
            {
                ThrowIfANodeWasAttached();
            }
            _requestClass = ClassOf(analysis);
            var main = Main;
            if (analysis.ChangesSchema && _runtime.SchemaChanges.Refusal is { } held)
            {
                await RefuseAsync(SchemaChangeHold.SqlState, held, sync);
                return;
            }

            if (analysis.Refused is { } refused)
            {
                await RefuseAsync("0A000", refused, sync);
                return;
            }

            NodeLink[] targets;
            if (_state.Status == TransactionStatus.Failed && !analysis.EndsTransaction)
            {
                targets = ReadTarget().AsTargets;
            }
            else if (analysis.EndsTransaction)
            {
                // Nodes whose deferred BEGIN never went out have nothing to end; the answering node comes first. A
                // node that still owes answers holds the transaction's held-back writes (its status is still the
                // Idle of before the BEGIN): it must get the COMMIT too, after they are settled.
                var answering = _state.FailedLink is { } failed && IsLive(failed) ? failed : main;
                foreach (var link in _links)
                {
                    link.PendingBegin = null;
                }

                targets = [answering, .. _links.Where(l => l != answering && IsLive(l)
                    && (l.Status != TransactionStatus.Idle || l.Owes || (_state.UnsyncedMask & l.Bit) != 0))];
            }
            else if (analysis.Replicated)
            {
                targets = [main, .. _nodes.Others(main)];
            }
            else if (!analysis.Executes && _group.Frames.Count == 1 && _state.UnsyncedMask != 0)
            {
                // A lone Sync (or Flush) ends what earlier Flush-ended groups left open: on those nodes, main last.
                targets = [.. _links.Where(l => IsLive(l) && (_state.UnsyncedMask & l.Bit) != 0)];
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

            if (_write.OthersOwe && !GroupPassesOwedAnswers(targets, sync, analysis)
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
                // Main alone (the other nodes down, or one being recovered): a group that commits there passes the
                // write gate like a replicated commit, so a cut or a cutover never sees it half way. An autocommit
                // write holds its pass over the statement itself, bounded by write_gate_timeout for the closer.
                var commits = analysis.EndsTransaction || (analysis.Writes && _state.Status == TransactionStatus.Idle);
                using var pass = commits ? await _write.PassCommitGateAsync() : default;

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
                    var closeFrame = OthersFrames.CloseFrame(name);
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
                _state.UnsyncedMask = 0;
            }
            else
            {
                foreach (var target in targets)
                {
                    _state.UnsyncedMask |= target.Bit;
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
               && !analysis.HasTransactionControl && _state.Status == TransactionStatus.InTransaction && !Main.Owes;
    }

    /// <summary>A group that only reads (or a failed transaction's): one node answers everything.</summary>
    private async Task RunGroupOnAsync(NodeLink link, bool sync, GroupAnalysis analysis)
    {
        SendGroup(link, isMain: true, internalTransaction: false, analysis);
        StartFlushLink(link); // finished by ReadGroupRepliesAsync: the node may answer before it has read a big group
        await ReadGroupRepliesAsync(link, link.AsTargets, forward: true, summarize: false, sync, analysis);
        if (sync)
        {
            await _idle.ThrowIfMainEndedMeanwhileAsync(link);
            FinishRequest(link);
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
        if (_state.UnsyncedMask == 0)
        {
            return;
        }

        foreach (var link in _links)
        {
            if ((_state.UnsyncedMask & link.Bit) == 0 || targets.Contains(link) || !IsLive(link))
            {
                continue;
            }

            try
            {
                link.Output.Write(SyncFrame);
                await link.Output.FlushAsync();
                await ReadRepliesAsync(link, forward: false, summarize: false, ReplyStop.UntilReady);
            }
            catch (Exception e) when (NodeFailures.IsNodeFailure(e))
            {
                _nodes.Degenerate(link, "read failed: " + e.Message);
            }
        }
    }

}

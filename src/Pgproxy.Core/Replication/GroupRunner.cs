using System.Buffers;
using Pgproxy.Protocol.Frontend;
using Pgproxy.Protocol.Messages;

namespace Pgproxy.Core.Replication;

/// <summary>
/// Runs a replication session's extended-protocol groups (DESIGN §3.5): the Parse/Bind/Describe/Execute/Close
/// messages a client sent up to its Sync or Flush, kept whole in <see cref="Group"/>, read for what they do
/// (<c>.Analysis</c>), routed as one, and sent to each node in one write — a group that writes to every node, main
/// first (<c>.Fanout</c>), COPY FROM STDIN with its data (<c>.Copy</c>), a group that commits in its middle cut in
/// parts (<c>.Parts</c>), admin commands in a Parse (<c>.Admin</c>). It owns the session's prepared statements and
/// portals as the nodes know them; what the client is told of the request as a whole it leaves to the session
/// (<see cref="IRequestHost"/>).
/// </summary>
internal sealed partial class GroupRunner : RequestRunner
{
    internal static readonly byte[] SyncFrame = [(byte)'S', 0, 0, 0, 4];

    internal static readonly byte[] FlushFrame = [(byte)'H', 0, 0, 0, 4];

    private readonly GroupAnalyzer _analyzer;

    public GroupRunner(RequestParts parts) : base(parts)
    {
        _analyzer = new GroupAnalyzer(Group, Statements, parts.Host, parts.Write.TwoPhase, parts.State, parts.Idle,
            parts.Catalog, parts.Policy);
    }

    /// <summary>The client's messages since its last Sync or Flush.</summary>
    public ExtendedGroup Group { get; } = new();

    /// <summary>The session's prepared statements and portals, and which nodes have parsed each.</summary>
    public StatementRegistry Statements { get; } = new();

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
            if (await AnalyzeAsync(sync) is not { } analysis)
            {
                return;
            }

            // A REPEATABLE READ transaction's BEGIN in the group of its first query (as pgjdbc sends it).
            if (await OpenStrictTransactionOrRefuseAsync(analysis, sync))
            {
                return;
            }

            // The first query of a REPEATABLE READ transaction whose BEGIN came as a Query (as Npgsql sends it),
            // with no pipeline open: its snapshot is taken on every node first, as in the simple protocol.
            if (analysis.Executes && !analysis.HasTransactionControl && _state.UnsyncedMask == 0
                && await NeedsSharedSnapshotAsync(analysis.FirstKeyword) && await ShareSnapshotOrRefuseAsync(sync))
            {
                return;
            }

            var targets = Targets(analysis);
            _loneRead = IsLoneRead(sync, analysis, targets);
            if (_write.OthersOwe && !GroupPassesOwedAnswers(targets, sync, analysis)
                && !(analysis.EndsTransaction && targets.Length > 1 && CommitsInTwoPhases(targets, sync, analysis))
                && await _host.SettleOrRefuseAsync(writeReady: sync))
            {
                return;
            }

            if (sync)
            {
                await SyncStragglersAsync(targets);
                await SyncOthersInBlockAsync(targets, analysis);
            }

            var errors = _replies.ClientErrors;
            await RunOnTargetsAsync(targets, sync, analysis);
            CloseElsewhere(targets);
            if (analysis.CallsSetConfig)
            {
                _state.ForgetTransactionDefaults();
            }

            if (!sync && _state.Status == TransactionStatus.Failed && _replies.ClientErrors == errors
                && (analysis.StartsWithRollbackTo || _partEndsTransaction))
            {
                // The failure is behind every node now (rolled back to a savepoint, or the transaction ended); no
                // ReadyForQuery says so before the Sync, and what the group's Flush leaves for later (a COMMIT part,
                // writes after the ROLLBACK, the client's next group) must go to every node as PostgreSQL runs it,
                // not to the failed node alone.
                _state.Status = _partEndsTransaction ? TransactionStatus.Idle : TransactionStatus.InTransaction;
                _state.FailedLink = null;
            }

            if (!sync && analysis.BeginsTransaction && !analysis.EndsTransaction && _replies.ClientErrors == errors)
            {
                // A batch's BEGIN, cut off (GroupAnalyzer.PartStarts): the parts after it run in its transaction.
                _state.Status = TransactionStatus.InTransaction;
                _state.BlockInPipeline = true;
            }
            else if (sync || analysis.EndsTransaction)
            {
                _state.BlockInPipeline = false;
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
        catch (NodeFailureException) when (_loneRead)
        {
            KeptForRerun = true;
            throw;
        }
        finally
        {
            EndRun();
        }
    }

    /// <summary>
    /// What the group does, or null when it is answered already: a refused admin command, a schema change while a
    /// recovery copies main, a write refused as nondeterministic.
    /// </summary>
    private async ValueTask<GroupAnalysis?> AnalyzeAsync(bool sync)
    {
        if (await _analyzer.RewriteAdminParsesAsync() is { } adminError)
        {
            // A refused ATTACH/DETACH NODE answers the group, as a failed Parse would.
            await _host.FailRequestAsync(adminError.SqlState, adminError.Message, sync, adminError.Hint);
            return null;
        }

        var analysis = await _analyzer.AnalyzeAsync(_partEndsTransaction);
        if (analysis.Writes)
        {
            _host.ThrowIfANodeWasAttached();
        }

        _host.RequestClass = analysis.RequestClass;
        if (analysis.ChangesSchema && _host.SchemaChangeRefusal is { } held)
        {
            await _host.RefuseAsync(SchemaChangeHold.SqlState, held, sync);
            return null;
        }

        if (analysis.Refused is { } refused)
        {
            await RefuseAsync(analysis, refused, sync);
            return null;
        }

        return analysis;
    }

    /// <summary>
    /// Refuses the group's nondeterministic write, unless main rejects the statement as it parses it: then the client
    /// gets PostgreSQL's own error, as directly (issue 16 item 15), and the statement is not kept, as PostgreSQL keeps
    /// none whose Parse failed. A statement some node has parsed already was accepted there: refused at once; so is
    /// one behind an unsynced pipeline on main, which the check's own Sync would end.
    /// </summary>
    private async Task RefuseAsync(GroupAnalysis analysis, string refused, bool sync)
    {
        if (analysis.RefusedStatement is not { ParsedOn: 0 } info || (_state.UnsyncedMask & _nodes.Main.Bit) != 0)
        {
            await _host.RefuseAsync("0A000", refused, sync);
            return;
        }

        var main = _nodes.Main;
        var rejected = await _host.RefuseUnlessMainRejectsParseAsync(info.ParseFrame, refused, sync);
        // The check parsed and closed main's unnamed statement: one the client made earlier is parsed there again.
        if (Statements.GetStatement([]) is { } unnamed)
        {
            unnamed.ParsedOn &= ~main.Bit;
        }

        var name = ParseMessage.Read(info.ParseFrame.AsSpan(5)).StatementName;
        if (rejected && Statements.GetStatement(name) == info)
        {
            Statements.RemoveStatement(name);
        }
    }

    /// <summary>The nodes the group runs on, the one that answers the client first.</summary>
    private NodeLink[] Targets(in GroupAnalysis analysis)
    {
        var main = _nodes.Main;
        if (_state.Status == TransactionStatus.Failed && !analysis.EndsTransaction && !analysis.StartsWithRollbackTo)
        {
            return _host.ReadTarget().AsTargets;
        }

        if (analysis.EndsTransaction)
        {
            // Nodes whose deferred BEGIN never went out have nothing to end; the answering node comes first. A
            // node that still owes answers holds the transaction's held-back writes (its status is still the
            // Idle of before the BEGIN): it must get the COMMIT too, after they are settled.
            var answering = _state.FailedLink is { } failed && SessionLinks.IsLive(failed) ? failed : main;
            foreach (var link in _nodes.All)
            {
                link.PendingBegin = null;
            }

            return [answering, .. _nodes.All.Where(l => l != answering && SessionLinks.IsLive(l)
                && (l.Status != TransactionStatus.Idle || l.Owes || (_state.UnsyncedMask & l.Bit) != 0))];
        }

        if (analysis.Replicated)
        {
            return [main, .. _nodes.Others(main)];
        }

        if (!analysis.Executes && Group.Frames.Count == 1 && _state.UnsyncedMask != 0)
        {
            // A lone Sync (or Flush) ends what earlier Flush-ended groups left open: on those nodes, main last.
            return [.. _nodes.All.Where(l => SessionLinks.IsLive(l) && (_state.UnsyncedMask & l.Bit) != 0)];
        }

        var targets = (analysis.LocksOnMain ? main : _host.ReadTarget()).AsTargets;
        if (analysis.Executes)
        {
            targets[0].Node.CountSelect();
        }

        if (analysis.LocksOnMain)
        {
            _host.PinReadsToMain();
        }

        return targets;
    }

    /// <summary>Runs the group on its targets in the order its kind calls for.</summary>
    private async Task RunOnTargetsAsync(NodeLink[] targets, bool sync, GroupAnalysis analysis)
    {
        if (targets.Length == 1)
        {
            // Main alone (the other nodes down, or one being recovered): a group that commits there passes the
            // write gate like a replicated commit, so a cut or a cutover never sees it half way. An autocommit
            // write holds its pass over the statement itself, bounded by write_gate_timeout for the closer.
            var commits = analysis.EndsTransaction || (analysis.Writes && _state.Status == TransactionStatus.Idle);
            using var pass = commits ? await _write.PassCommitGateAsync() : default;
            using var onMain = analysis.Writes ? await _write.EnterWriteOnMainAsync() : default;
            await RunGroupOnAsync(targets[0], sync, analysis);
        }
        else if (analysis.Replicated && !analysis.EndsTransaction)
        {
            await RunGroupReplicatedAsync(targets, sync, analysis);
        }
        else
        {
            await RunGroupEndAsync(targets, sync, analysis);
        }
    }

    /// <summary>
    /// Statements the group closed are closed on the nodes that parsed them but did not run the group too, and
    /// forgotten unless the group parsed a new one under the same name (Npgsql's auto-prepare replaces statements
    /// so: the old one must still go on the nodes that have it, the new one is parsed there when first used).
    /// </summary>
    private void CloseElsewhere(NodeLink[] targets)
    {
        foreach (var (name, closed) in _analyzer.Closed)
        {
            if (closed is null)
            {
                continue;
            }

            var closeFrame = OthersFrames.CloseFrame(name);
            foreach (var link in _nodes.All)
            {
                if ((closed.ParsedOn & link.Bit) != 0 && !targets.Contains(link))
                {
                    link.PendingCloses.Add(closeFrame);
                }
            }

            if (Statements.GetStatement(name) == closed)
            {
                Statements.RemoveStatement(name);
            }
        }
    }

    /// <summary>
    /// A group that need not wait for the others' owed answers (see the simple protocol's ReadsFromMain and
    /// PassesOwedAnswers): one on main alone, or a plain DML group of the client's transaction, whose answers from
    /// the others simply join the owed ones (WritePath.RunAsync settles first when they may not).
    /// </summary>
    private bool GroupPassesOwedAnswers(NodeLink[] targets, bool sync, in GroupAnalysis analysis)
    {
        if (targets.Length == 1)
        {
            return targets[0] == _nodes.MainOrNull && !targets[0].Owes;
        }

        // Not an INSERT that takes insert_lock's lock: should the owed answers fail the transaction, the others
        // would never run it, and what it drew on main would leave the sequences apart (QueryRunner.PassesOwedAnswers).
        return sync && analysis.Writes && !analysis.NotPlainDml && !analysis.EndsTransaction
               && !analysis.HasTransactionControl && _state.Status == TransactionStatus.InTransaction && !_nodes.Main.Owes
               && analysis.LockTable is null;
    }

    /// <summary>A group that only reads (or a failed transaction's): one node answers everything.</summary>
    private async Task RunGroupOnAsync(NodeLink link, bool sync, GroupAnalysis analysis)
    {
        using var alone = _nodes.RunAlone(link);
        SendGroup(link, isMain: true, internalTransaction: false, analysis);
        WritePath.StartFlushLink(link); // finished by ReadGroupRepliesAsync: the node may answer before it has read a big group
        await ReadGroupRepliesAsync(link, link.AsTargets, forward: true, summarize: false, sync, analysis);
        if (sync)
        {
            await _idle.ThrowIfMainEndedMeanwhileAsync(link);
            _host.FinishRequest(link);
        }
    }

    /// <summary>
    /// Before a plain COMMIT group that a Sync ends, in a transaction block open before the pipeline or by its own
    /// BEGIN: the other nodes that the pipeline's Flush-ended groups (or parts of a cut group) left unsynced get a
    /// Sync of their own. Inside the block it ends nothing; synced, they can PREPARE, and the COMMIT runs in two
    /// phases instead of on them first with main's COMMIT still able to fail after they committed.
    /// </summary>
    private async Task SyncOthersInBlockAsync(NodeLink[] targets, GroupAnalysis analysis)
    {
        if (!analysis.EndsTransaction || _state.Status != TransactionStatus.InTransaction || _write.OthersOwe
            || targets.Length < 2 || targets[0] != _nodes.Main || !_analyzer.IsPlainCommitGroup())
        {
            return;
        }

        for (var i = 1; i < targets.Length; i++)
        {
            var other = targets[i];
            // Outside a block the pipeline runs in an implicit transaction, which a Sync would commit.
            if ((_state.UnsyncedMask & other.Bit) == 0 || !SessionLinks.IsLive(other)
                || !(_state.BlockInPipeline || other.Status == TransactionStatus.InTransaction))
            {
                continue;
            }

            await SyncAloneAsync(other);
            _state.UnsyncedMask &= ~other.Bit;
        }
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

        foreach (var link in _nodes.All)
        {
            if ((_state.UnsyncedMask & link.Bit) == 0 || targets.Contains(link) || !SessionLinks.IsLive(link))
            {
                continue;
            }

            await SyncAloneAsync(link);
        }
    }

    /// <summary>A Sync of pgproxy's own to one node, its answer read and dropped; a node that fails here is taken out.</summary>
    private async Task SyncAloneAsync(NodeLink link)
    {
        try
        {
            link.Output.Write(SyncFrame);
            await link.Output.FlushAsync();
            await _replies.ReadAsync(link, forward: false, summarize: false, ReplyStop.UntilReady);
        }
        catch (Exception e) when (NodeFailures.IsNodeFailure(e))
        {
            _nodes.Degenerate(link, "read failed: " + e.Message);
        }
    }

}

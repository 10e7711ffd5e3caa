using System.Buffers;
using Pgproxy.Protocol.Messages;

namespace Pgproxy.Core.Replication;

/// <summary>The extended protocol, continued: how a group that runs on several nodes is sent and answered.</summary>
internal sealed partial class GroupRunner
{
    /// <summary>
    /// A group that writes: on every node through the write path (<see cref="WritePath.RunAsync"/>), or, when it
    /// copies in, as <see cref="RunGroupCopyInAsync"/> says.
    /// </summary>
    private async Task RunGroupReplicatedAsync(NodeLink[] targets, bool sync, GroupAnalysis analysis)
    {
        var main = targets[0];
        var others = targets[1..];
        var internalTransaction = (sync || analysis.CopiesIn) && analysis.Writes && !analysis.HasTransactionControl
                                  && !analysis.OutsideTransaction && _state.Status == TransactionStatus.Idle
                                  && (_state.UnsyncedMask & main.Bit) == 0;
        if (analysis.CopiesIn)
        {
            await RunGroupCopyInAsync(main, others, sync, internalTransaction, analysis);
            return;
        }

        await _write.RunAsync(main, new GroupWrite(this, targets, sync, analysis, internalTransaction), _host);
    }

    /// <summary>
    /// After main refused the group: the others run it too where what main did may outlive the rollback (see
    /// QueryRunner's ReplayRefusedWriteAsync); an internal transaction is rolled back on main.
    /// </summary>
    private async Task ReplayRefusedGroupOnOthersAsync(NodeLink main, NodeLink[] targets, bool sync,
        GroupAnalysis analysis, bool internalTransaction, TimeSpan mainTime)
    {
        _answer.Release();
        if (sync && WritePath.LeavesStateWhenRefused(main.Summary.ErrorState) && await _host.SettledForReplayAsync(main))
        {
            await ReplayRefusedGroupAsync(main, targets[1..], targets, internalTransaction, analysis, mainTime);
        }

        if (internalTransaction)
        {
            main.Inject(InjectedQueries.Rollback, InjectedReply.QueryCycle);
            await WritePath.FlushLinkAsync(main);
            await _replies.ReadAsync(main, forward: false, summarize: false, ReplyStop.UntilDrained);
        }
    }

    /// <summary>
    /// Reads every other node's answer to the group into its summary, each within main's time plus
    /// replication_answer_timeout; with <paramref name="drainInjected"/> also what pgproxy injected behind it. A
    /// node that fails here is taken out and the session carries on.
    /// </summary>
    private async Task ReadOthersGroupRepliesAsync(NodeLink main, NodeLink[] others, NodeLink[] targets, bool sync,
        GroupAnalysis analysis, TimeSpan mainTime, bool drainInjected)
    {
        var bound = _deadline.Begin(main, mainTime);
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
                    if (drainInjected)
                    {
                        await _replies.ReadAsync(other, forward: false, summarize: false, ReplyStop.UntilDrained);
                    }
                }
                catch (Exception e) when (NodeFailures.IsNodeFailure(e))
                {
                    _nodes.Degenerate(other, "read failed: " + e.Message);
                }
            }
        }
        finally
        {
            bound.Dispose();
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
        using var pass = analysis.EndsTransaction && (_state.TransactionWrote || analysis.Writes)
            ? await _write.PassCommitGateAsync()
            : _write.CheckWithoutPass();
        if (await TryCommitInTwoPhasesAsync(main, others, sync, analysis))
        {
            return;
        }

        var rollBackOthers = analysis.EndsTransaction && _state.Status == TransactionStatus.Failed;
        foreach (var other in others)
        {
            other.Summary.Clear();
            if (rollBackOthers && other.Status != TransactionStatus.Idle && (_state.UnsyncedMask & other.Bit) == 0)
            {
                // COMMIT of a failed transaction: PostgreSQL rolls back; the nodes that did not fail must too.
                other.Inject(InjectedQueries.Rollback, InjectedReply.QueryCycle);
                continue;
            }

            SendGroup(other, isMain: false, internalTransaction: false, analysis);
        }

        await _write.FlushOthersAsync(others);
        await ReadOthersFirstAsync(others, targets, sync, analysis, rollBackOthers);
        SendGroup(main, isMain: true, internalTransaction: false, analysis);
        WritePath.StartFlushLink(main);
        main.Summary.Clear();
        await ReadGroupRepliesAsync(main, targets, forward: true, summarize: true, sync, analysis);
        foreach (var other in others)
        {
            if (!other.Detached && other.Summary.HasError && !main.Summary.HasError)
            {
                _nodes.Degenerate(other, $"it failed to end the transaction: {other.Summary}");
            }
        }

        if (sync)
        {
            _host.FinishRequest(main);
        }
    }

    /// <summary>
    /// A group that executes one plain COMMIT of a transaction that wrote: committed in two phases when
    /// replication_commit says so (others PREPARE, main COMMIT, others COMMIT PREPARED); false when it was not.
    /// </summary>
    private async Task<bool> TryCommitInTwoPhasesAsync(NodeLink main, NodeLink[] others, bool sync,
        GroupAnalysis analysis)
    {
        if (!sync || !analysis.EndsTransaction || _state.Status != TransactionStatus.InTransaction
            || !_state.TransactionWrote || main != _nodes.Main
            || !Array.TrueForAll(others, o => (_state.UnsyncedMask & o.Bit) == 0) || !_analyzer.IsPlainCommitGroup())
        {
            return false;
        }

        var outcome = await _twoPhase.TryCommitAsync(main, others,
            () => SendGroup(main, isMain: true, internalTransaction: false, analysis));
        if (outcome == TwoPhaseOutcome.NotUsed)
        {
            return false;
        }

        _answer.Release();
        _host.FinishRequest(_nodes.MainOrNull ?? main);
        return true;
    }

    /// <summary>
    /// The others' answers to a group they run before main (their rollback, when <paramref name="rolledBack"/> and
    /// they got one); a node that fails here is taken out.
    /// </summary>
    private async Task ReadOthersFirstAsync(NodeLink[] others, NodeLink[] targets, bool sync, GroupAnalysis analysis,
        bool rolledBack)
    {
        using var bound = _deadline.Begin(_nodes.MainOrNull, TimeSpan.Zero); // they run it before main: the setting alone bounds them
        foreach (var other in others)
        {
            if (other.Detached)
            {
                continue;
            }

            try
            {
                if (other.Injected.Count > 0 && rolledBack)
                {
                    await _replies.ReadAsync(other, forward: false, summarize: false, ReplyStop.UntilDrained);
                }
                else
                {
                    await ReadGroupRepliesAsync(other, targets, forward: false, summarize: true, sync, analysis);
                }
            }
            catch (Exception e) when (NodeFailures.IsNodeFailure(e))
            {
                _nodes.Degenerate(other, "read failed: " + e.Message);
            }
        }
    }

    /// <summary>Reads one node's answer to a group, streaming a COPY FROM STDIN to every target if one starts.</summary>
    private async ValueTask<ReplyEnd> ReadGroupRepliesAsync(NodeLink link, NodeLink[] targets, bool forward,
        bool summarize, bool sync, GroupAnalysis analysis)
    {
        if (!sync && analysis.Completions == 0)
        {
            await WritePath.FinishFlushAsync(link); // nothing answers, so nothing the node writes can hold the flush up
            // A Flush with nothing before it that answers: PostgreSQL sends nothing, so waiting would hang the
            // session (and never see the client's next message). Replies to anything pgproxy injected are
            // swallowed by the next read on this node, in order.
            return ReplyEnd.Completed;
        }

        var stop = sync ? ReplyStop.UntilReady : ReplyStop.UntilCompletions;
        _replies.CompletionsLeft = analysis.Completions;
        while (await _replies.ReadAsync(link, forward, summarize, stop) == ReplyEnd.CopyIn)
        {
            await WritePath.FinishFlushAsync(link); // in copy-in the node reads again; the COPY data follows the group
            if (forward)
            {
                await _copyIn.RelayAsync(targets, link);
            }
        }

        await WritePath.FinishFlushAsync(link);
        return ReplyEnd.Completed; // never CopyIn: a COPY that starts is relayed here
    }

    /// <summary>
    /// What pgproxy asks of main before a group that writes: its transaction id (two-phase commit), insert_lock's
    /// lock, its current time, its values of the defaults a COPY leaves out — not while main is inside an unsynced
    /// pipeline, where a query of pgproxy's own cannot run.
    /// </summary>
    private void SendMainPrelude(NodeLink link, bool internalTransaction, GroupAnalysis analysis)
    {
        var canInjectQueries = (_state.UnsyncedMask & link.Bit) == 0;
        if (analysis.Writes && canInjectQueries
            && (internalTransaction || _state.Status == TransactionStatus.InTransaction))
        {
            if (internalTransaction)
            {
                _twoPhase.ForgetXid();
            }

            _twoPhase.AskMainXid(link);
        }

        if (analysis.LockTable is { } lockTable && canInjectQueries
            && (internalTransaction || _state.Status != TransactionStatus.Idle))
        {
            link.Inject(InjectedQueries.LockTable(lockTable), InjectedReply.QueryCycle);
        }

        if (analysis.RewritesTime)
        {
            // Without the query (main is inside an unsynced pipeline) there is no timestamp: an earlier one would be
            // wrong, so the others then get the text as it is.
            _replies.MainNow = null;
            if (canInjectQueries)
            {
                link.Inject(InjectedQueries.SelectNow, InjectedReply.NowQueryCycle);
            }
        }

        if (analysis.CopyPlan is { } copyPlan)
        {
            // Main evaluates the defaults the COPY leaves out, in the COPY's transaction: the others get its values.
            _replies.MainDefaults = null;
            if (canInjectQueries)
            {
                link.Inject(InjectedQueries.Encode(copyPlan.ValuesQuery), InjectedReply.DefaultsQueryCycle);
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

        if (isMain)
        {
            SendMainPrelude(link, internalTransaction, analysis);
        }

        link.FlushPendingCloses();
        foreach (var (name, info) in _analyzer.Referenced)
        {
            if (!isMain && OthersParseFrame(info.ParseFrame, info) is { } rewritten)
            {
                if ((info.ParsedOn & link.Bit) != 0)
                {
                    link.Inject(OthersFrames.CloseFrame(name), InjectedReply.CloseComplete);
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

        _host.AnnounceStatement(link, Group.Frame(Group.Frames[0]));
        var output = link.Output;
        foreach (var frame in Group.Frames)
        {
            if (frame.Type == FrontendMessageType.Parse && _analyzer.DefinedInfo(frame) is { } info)
            {
                info.ParsedOn |= link.Bit;
                if (!isMain && OthersParseFrame(Group.Frame(frame), info) is { } rewritten)
                {
                    output.Write(rewritten);
                    continue;
                }
            }

            output.Write(Group.Frame(frame));
        }
    }

    /// <summary>
    /// The extended protocol's ReplayRefusedWriteAsync: the others run the group main refused (up to
    /// the same error, after which PostgreSQL skips to the Sync); an internal transaction is rolled back on them.
    /// </summary>
    private async Task ReplayRefusedGroupAsync(NodeLink main, NodeLink[] others, NodeLink[] targets,
        bool internalTransaction, GroupAnalysis analysis, TimeSpan mainTime)
    {
        foreach (var other in others)
        {
            other.Summary.Clear();
            other.SwallowedError = null;
            SendGroup(other, isMain: false, internalTransaction, analysis);
            if (internalTransaction)
            {
                other.Inject(InjectedQueries.Rollback, InjectedReply.QueryCycle);
            }
        }

        await _write.FlushOthersAsync(others);
        await ReadOthersGroupRepliesAsync(main, others, targets, sync: true, analysis, mainTime, drainInjected: true);
    }
}

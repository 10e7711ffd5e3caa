using System.Buffers;
using Pgproxy.Protocol.Messages;

namespace Pgproxy.Core.Replication;

/// <summary>The extended protocol, continued: how a group that runs on several nodes is sent and answered.</summary>
internal sealed partial class GroupRunner
{
    /// <summary>
    /// A group that writes: on every node through the write path (<see cref="WritePath.RunAsync"/>), a COPY FROM
    /// STDIN with its data (<see cref="GroupCopyWrite"/>).
    /// </summary>
    private async Task RunGroupReplicatedAsync(NodeLink[] targets, bool sync, GroupAnalysis analysis)
    {
        var main = targets[0];
        var others = targets[1..];
        var internalTransaction = (sync || analysis.CopiesIn) && analysis.Writes && !analysis.HasTransactionControl
                                  && !analysis.OutsideTransaction && _state.Status == TransactionStatus.Idle
                                  && (_state.UnsyncedMask & main.Bit) == 0;
        // One statement that reads other rows, sent again as it is after a 40001 (WritePath.ShareWriteSnapshotAsync).
        var sharesSnapshot = internalTransaction && sync && !analysis.CopiesIn && analysis.ReadingWrite is { } reading
                             && analysis.LockTable is null && analysis.LargeObject is null && DefinesNothingNamed()
                             && await CallsOnlyReadFunctionsAsync(reading);
        var lockCut = internalTransaction && sync && !analysis.CopiesIn && analysis.LockTable is not null
                      && analysis.LargeObject is null && analysis.ExecuteCount > 1
            ? _analyzer.LockCut()
            : default;
        if (lockCut.After > 0 && ChecksRowVersions())
        {
            // The others' part up to the INSERT is sent before main ran the rest, whose outcomes an xmin check's
            // text on the others depends on (RowVersionParseFrame): such a group keeps the lock to its end.
            lockCut = lockCut with { After = 0 };
        }

        IFannedWrite write = analysis.CopiesIn
            ? new GroupCopyWrite(this, targets, sync, analysis, internalTransaction)
            : new GroupWrite(this, targets, sync, analysis, internalTransaction, sharesSnapshot, lockCut);
        await _write.RunAsync(main, write, _host);
    }

    /// <summary>
    /// After main refused the group: the others run it too where what main did may outlive the rollback (see
    /// QueryRunner's ReplayRefusedWriteAsync); an internal transaction is rolled back on main.
    /// </summary>
    private async Task ReplayRefusedGroupOnOthersAsync(NodeLink main, NodeLink[] targets, bool sync,
        GroupAnalysis analysis, bool internalTransaction, TimeSpan mainTime)
    {
        _answer.Release();
        // A Flush-ended part of a batch inside its own BEGIN's block too (an Npgsql batch {BEGIN; INSERT; COMMIT}):
        // the others then skip to the batch's Sync as main does. Without it a unique violation there left main's
        // sequence ahead (11-13 draws in 10 s of 8 clients).
        if ((sync || _state.BlockInPipeline) && WritePath.LeavesStateWhenRefused(main.Summary.ErrorState)
            && await _host.SettledForReplayAsync(main))
        {
            await ReplayRefusedGroupAsync(main, targets[1..], targets, internalTransaction, analysis, mainTime, sync);
        }
        else if (internalTransaction && (_write.InternalBegun || _othersAhead.Count > 0))
        {
            // Begun with a shared snapshot, every other node is in the internal transaction: end it there too; so
            // are those that ran the group's part up to its INSERT already (InsertAhead).
            NodeLink[] others = _write.InternalBegun ? targets[1..] : [.. targets[1..].Where(_othersAhead.ContainsKey)];
            foreach (var other in others)
            {
                if (!other.Detached)
                {
                    other.Inject(InjectedQueries.Rollback, InjectedReply.QueryCycle);
                }
            }

            await _write.FlushOthersAsync(others);
            await _write.DrainOthersAsync(others);
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
    /// Sync for several nodes: through the write path's end (<see cref="WritePath.EndTransactionAsync"/>), the
    /// others first, main's answer to the client.
    /// </summary>
    private async Task RunGroupEndAsync(NodeLink[] targets, bool sync, GroupAnalysis analysis)
    {
        var main = targets[0];
        var others = targets[1..];
        var rollBackOthers = analysis.EndsTransaction && _state.Status == TransactionStatus.Failed;
        var end = new GroupEnd(this, targets, sync, analysis, rollBackOthers, CommitsInTwoPhases(targets, sync, analysis));
        var outcome = await _write.EndTransactionAsync(main, others, end);
        if (outcome == TransactionEndOutcome.Diverged)
        {
            // As when the owed answers are read before the group: it fails, and the transaction everywhere.
            await _host.RefuseAsync(_write.EndDivergence!.SqlState, _write.EndDivergence.Message, writeReady: sync);
            return;
        }

        if (outcome == TransactionEndOutcome.CommittedWithoutMain)
        {
            AnswerGroup(end.Answered, executed: true);
        }

        if (sync)
        {
            _host.FinishRequest(outcome == TransactionEndOutcome.TwoPhase ? _nodes.MainOrNull ?? main : main);
        }
    }

    /// <summary>
    /// A plain COMMIT group of a transaction that wrote, answered by main, every other node synced: it may commit in
    /// two phases, and the others' owed answers are left to it (read with their PREPARE).
    /// </summary>
    private bool CommitsInTwoPhases(NodeLink[] targets, bool sync, in GroupAnalysis analysis) =>
        sync && analysis.EndsTransaction && _state.Status == TransactionStatus.InTransaction
        && _state.TransactionWrote && targets[0] == _nodes.Main
        && OthersSynced(targets) && _analyzer.IsPlainCommitGroup();

    private bool OthersSynced(NodeLink[] targets)
    {
        for (var i = 1; i < targets.Length; i++)
        {
            if ((_state.UnsyncedMask & targets[i].Bit) != 0)
            {
                return false;
            }
        }

        return true;
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
    /// pipeline, where a query of pgproxy's own would commit the pipeline's implicit transaction, unless the
    /// pipeline's own BEGIN opened a block (<see cref="ClientState.BlockInPipeline"/>).
    /// </summary>
    private void SendMainPrelude(NodeLink link, bool internalTransaction, GroupAnalysis analysis, bool sync,
        InsertCut cut)
    {
        var canInjectQueries = (_state.UnsyncedMask & link.Bit) == 0 || _state.BlockInPipeline;
        if (analysis.Writes && canInjectQueries
            && (internalTransaction || _state.Status == TransactionStatus.InTransaction))
        {
            if (internalTransaction)
            {
                _twoPhase.ForgetXid();
            }

            _twoPhase.AskMainXid(link);
        }

        if (analysis.LockTable is { } lockTable && canInjectQueries && cut.Before == 0
            && (internalTransaction || _state.Status != TransactionStatus.Idle))
        {
            // In the client's transaction (opened before the pipeline or by its BEGIN) an INSERT that runs alone (a
            // group or part of its own, GroupAnalyzer.PartStarts) takes a session-level lock, released before main's
            // next statement once every node ran it (NodeLink.ReleaseSessionLocks), or after the client's ROLLBACK when
            // the INSERT failed; it outlives an error of the INSERT. pgproxy's own transaction keeps a
            // transaction-level lock held through the INSERT's error by a savepoint (InjectedQueries.LockTable).
            // So does pgproxy's own transaction when the INSERT is cut off from what follows it (cut.After).
            var alone = (analysis.ExecuteCount == 1 && !internalTransaction
                         && _state.Status == TransactionStatus.InTransaction) || cut.After > 0;
            link.TakeInsertLock(lockTable, internalTransaction || alone, releaseBeforeNext: alone);
        }

        if (analysis.RewritesTime && !_twoPhase.KnowsMainNow)
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
    /// the client's messages — with Parse texts carrying main's timestamp for the other nodes. <paramref name="sync"/>
    /// says the group ends with a Sync; only a write's group tells, the rest leave it false. With
    /// <paramref name="stopAt"/>, the node gets the messages before that frame alone, ended by a Flush
    /// (ReadMainAroundLockAsync, SendInsertAhead); <paramref name="cut"/> is main's. An other node that ran the group
    /// up to its INSERT already gets the rest (ContinueAhead).
    /// </summary>
    private void SendGroup(NodeLink link, bool isMain, bool internalTransaction, GroupAnalysis analysis,
        bool sync = false, int stopAt = 0, InsertCut cut = default)
    {
        if (!isMain && ContinueAhead(link) is var from && from > 0)
        {
            WriteFrames(link, isMain, analysis, from, stopAt: 0);
            return;
        }

        link.FlushPendingBegin();
        if (internalTransaction && !_write.InternalBegun)
        {
            link.InjectBegin(InjectedQueries.Begin);
        }

        if (isMain)
        {
            SendMainPrelude(link, internalTransaction, analysis, sync, cut);
        }

        link.FlushPendingCloses();
        foreach (var (name, info) in _analyzer.Referenced)
        {
            if (!isMain && OthersParseFrame(info.ParseFrame, info, from: 0) is { } rewritten)
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
        WriteFrames(link, isMain, analysis, from: 0, stopAt);
    }

    /// <summary>
    /// The client's messages from frame <paramref name="from"/>, up to <paramref name="stopAt"/> (then a Flush of
    /// pgproxy's own) or the group's end.
    /// </summary>
    private void WriteFrames(NodeLink link, bool isMain, GroupAnalysis analysis, int from, int stopAt)
    {
        var output = link.Output;
        for (var index = from; index < Group.Frames.Count; index++)
        {
            var frame = Group.Frames[index];
            if (stopAt > 0 && index == stopAt)
            {
                output.Write(FlushFrame);
                break;
            }

            if (!isMain && analysis.LargeObject is { OthersFrame: { } replaced } && analysis.LargeObject.Frame == frame)
            {
                output.Write(replaced); // main's large-object OID where the client's message let the server pick
                continue;
            }

            if (frame.Type == FrontendMessageType.Parse && _analyzer.DefinedInfo(frame) is { } info)
            {
                info.ParsedOn |= link.Bit;
                if (!isMain && OthersParseFrame(Group.Frame(frame), info, index) is { } rewritten)
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
        bool internalTransaction, GroupAnalysis analysis, TimeSpan mainTime, bool sync)
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
        await ReadOthersGroupRepliesAsync(main, others, targets, sync, analysis, mainTime, drainInjected: sync);
    }
}

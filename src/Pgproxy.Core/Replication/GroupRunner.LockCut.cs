using System.Buffers;
using Pgproxy.Protocol.Messages;

namespace Pgproxy.Core.Replication;

/// <summary>
/// An autocommit group with an INSERT that takes insert_lock's lock and other statements around it: an Npgsql batch
/// {UPDATE; INSERT} or {INSERT; UPDATE} outside a transaction. The lock is held no longer than the INSERT needs it,
/// as between the statements of a transaction (GroupAnalyzer.PartStarts): main runs the statements before the
/// INSERT, ended by a Flush of pgproxy's own, then the lock and the INSERT; the others run the group up to the INSERT
/// (InsertAhead); main releases the lock (it is session-level then) and runs the rest with the client's Sync, and the
/// others the rest after it. Taken before the whole group and held to its end, the lock was held while an UPDATE
/// waited for a row that another transaction held while it waited for the lock, and the two deadlocked (8 clients
/// over 10 rows, half sending {UPDATE; INSERT} and half the same as a batch inside a transaction: 48 done and 21
/// failed with 40P01 in 5 s; half {INSERT; UPDATE} and half the same in a transaction: 27 done, 20 failed; directly
/// none). The others' part is read before the lock is released, so every node draws the INSERT's sequence values in
/// main's order. The client sees what PostgreSQL sends, as a Flush adds nothing to it.
/// </summary>
internal sealed partial class GroupRunner
{
    /// <summary>
    /// Reads main's answer to the group's first part (<see cref="SendGroup"/> sent it up to the INSERT, or through it
    /// when it is the first statement), then goes on part by part as <see cref="InsertCut"/> says, and reads on up to
    /// the Sync's ReadyForQuery. After an error PostgreSQL skips everything up to the Sync, so the Sync alone follows,
    /// and no lock.
    /// </summary>
    private async ValueTask<ReplyEnd> ReadMainAroundLockAsync(NodeLink main, NodeLink[] targets,
        GroupAnalysis analysis, InsertCut cut)
    {
        var started = _time.GetTimestamp();
        var sentTo = cut.FirstStop;
        await ReadMainPartAsync(main, 0, sentTo);
        var frames = Group.Frames;
        if (cut.Before > 0 && !main.Summary.HasError)
        {
            main.TakeInsertLock(analysis.LockTable!, holdThroughError: true, releaseBeforeNext: cut.After > 0);
            if (cut.After > 0)
            {
                WriteFrames(main, isMain: true, analysis, from: cut.Before, stopAt: cut.After);
                WritePath.StartFlushLink(main);
                await ReadMainPartAsync(main, cut.Before, cut.After);
            }

            sentTo = cut.After > 0 ? cut.After : cut.Before;
        }

        if (cut.After > 0 && !main.Summary.HasError)
        {
            await SendInsertAheadAsync(main, targets[1..], analysis, cut.After, _time.GetElapsedTime(started));
            // Ahead of the rest, in pgproxy's transaction.
            main.LockReleasedEarly = OthersRanAheadCleanly(targets[1..]) && main.ReleaseSessionLocks();
        }

        for (var i = main.Summary.HasError ? frames.Count - 1 : sentTo; i < frames.Count; i++)
        {
            main.Output.Write(Group.Frame(frames[i]));
        }

        WritePath.StartFlushLink(main);
        return await ReadGroupRepliesAsync(main, targets, forward: true, summarize: true, sync: true, analysis);
    }

    /// <summary>Reads main's answers to the frames from <paramref name="from"/> to <paramref name="to"/>.</summary>
    private async Task ReadMainPartAsync(NodeLink main, int from, int to)
    {
        _replies.CompletionsLeft = CompletionsBefore(to) - CompletionsBefore(from);
        await _replies.ReadAsync(main, forward: true, summarize: true, ReplyStop.UntilCompletions);
        await WritePath.FinishFlushAsync(main);
    }

    /// <summary>How many answers the group's messages before <paramref name="cut"/> get (a Describe gets one that
    /// counts, its RowDescription or NoData, as <see cref="GroupAnalyzer.AnalyzeAsync"/> counts them).</summary>
    private int CompletionsBefore(int cut)
    {
        var completions = 0;
        for (var i = 0; i < cut; i++)
        {
            completions += Group.Frames[i].Type is FrontendMessageType.Parse or FrontendMessageType.Bind
                or FrontendMessageType.Describe or FrontendMessageType.Execute or FrontendMessageType.Close
                ? 1
                : 0;
        }

        return completions;
    }
}

using System.Buffers;
using Pgproxy.Protocol.Messages;

namespace Pgproxy.Core.Replication;

/// <summary>
/// An autocommit group with statements before an INSERT that takes insert_lock's lock: an Npgsql batch
/// {UPDATE; INSERT} outside a transaction. Main runs it in two parts
/// inside pgproxy's internal transaction: the statements before the INSERT, ended by a Flush of pgproxy's own, then
/// the lock and the rest with the client's Sync. Taken before the whole group, the lock was held while the UPDATE
/// waited for a row that another transaction held while it waited for the lock, and the two deadlocked (8 clients
/// over 10 rows, half sending that batch and half the same statements as a batch inside a transaction: 48 done and
/// 21 failed with 40P01 in 5 s; directly none). The other nodes still get the group whole, after main, in main's
/// order. The client sees what PostgreSQL sends, as a Flush adds nothing to it.
/// </summary>
internal sealed partial class GroupRunner
{
    /// <summary>
    /// Reads main's answer to the group's first part (<see cref="SendGroup"/> sent it up to <paramref name="cut"/>),
    /// then sends the lock and the rest and reads on up to the Sync's ReadyForQuery. After an error PostgreSQL
    /// skips everything up to the Sync, so the Sync alone follows, and no lock.
    /// </summary>
    private async ValueTask<ReplyEnd> ReadMainAroundLockAsync(NodeLink main, NodeLink[] targets,
        GroupAnalysis analysis, int cut)
    {
        _replies.CompletionsLeft = CompletionsBefore(cut);
        await _replies.ReadAsync(main, forward: true, summarize: true, ReplyStop.UntilCompletions);
        await WritePath.FinishFlushAsync(main);

        var frames = Group.Frames;
        var failed = main.Summary.HasError;
        if (!failed)
        {
            main.TakeInsertLock(analysis.LockTable!, holdThroughError: true, releaseBeforeNext: false);
        }

        for (var i = failed ? frames.Count - 1 : cut; i < frames.Count; i++)
        {
            main.Output.Write(Group.Frame(frames[i]));
        }

        WritePath.StartFlushLink(main);
        return await ReadGroupRepliesAsync(main, targets, forward: true, summarize: true, sync: true, analysis);
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

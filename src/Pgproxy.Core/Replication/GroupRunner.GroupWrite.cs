using Pgproxy.Protocol.Messages;

namespace Pgproxy.Core.Replication;

internal sealed partial class GroupRunner
{
    /// <summary>
    /// The group parses only the unnamed statement and closes nothing: sent again after a rollback, it defines
    /// nothing twice (a named statement outlives the rollback, and a second Parse of its name would fail).
    /// </summary>
    private bool DefinesNothingNamed()
    {
        foreach (var frame in Group.Frames)
        {
            if (frame.Type == FrontendMessageType.Close
                || (frame.Type == FrontendMessageType.Parse && Group.Frame(frame)[5] != 0))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// An extended-protocol group that writes, as <see cref="WritePath.RunAsync"/> runs it: each node gets the whole
    /// group in one network write (with the Parses it lacks, and main's time in the others' Parse texts), and its
    /// answer is read up to the group's Sync, or its completions for a Flush-ended group. With
    /// <paramref name="lockCut"/>, main runs it in parts around insert_lock's lock, and the others run the part up to
    /// the INSERT before main runs the rest (<see cref="ReadMainAroundLockAsync"/>).
    /// </summary>
    private sealed class GroupWrite(GroupRunner runner, NodeLink[] targets, bool sync, GroupAnalysis analysis,
        bool internalTransaction, bool sharesSnapshot, InsertCut lockCut) : IFannedWrite
    {
        public bool InternalTransaction => internalTransaction;

        public bool EndsRequest => sync;

        public bool MayDefer => sync && analysis.LockTable is null; // see QueryWrite.MayDefer

        // Not an INSERT that draws a sequence: see QueryWrite.IsPlainDml.
        public bool IsPlainDml => !analysis.NotPlainDml && analysis.LockTable is null;

        public string? LockTable => analysis.LockTable;

        public bool MarksWrite => analysis.Writes;

        public bool ChangesFunctions => analysis.ChangesFunctions;

        public bool SharesSnapshot => sharesSnapshot;

        public bool MayRunAgain => analysis.LargeObject is null && runner.DefinesNothingNamed();

        /// <summary>A group's answer holds several results: main's is held until the first of them is known.</summary>
        public bool KeepsAnswerUntilResult => true;

        public void SendTo(NodeLink link, bool isMain)
        {
            if (isMain)
            {
                runner.ForgetAhead(); // a run again starts over on every node
            }

            runner.SendGroup(link, isMain, internalTransaction, analysis, sync, isMain ? lockCut.FirstStop : 0,
                isMain ? lockCut : default);
            GroupLargeObject.ArmOnMain(analysis.LargeObject, runner._replies, link, isMain);
        }

        /// <summary>Finished while main's answer is read: main may answer before it has read a big group.</summary>
        public ValueTask FlushMainAsync(NodeLink main)
        {
            WritePath.StartFlushLink(main);
            return ValueTask.CompletedTask;
        }

        /// <summary>
        /// Never <see cref="ReplyEnd.CopyIn"/>: a group that copies in is a GroupCopyWrite, and one not known
        /// to (an unknown portal's) has its data relayed to every target by ReadGroupRepliesAsync itself.
        /// </summary>
        public ValueTask<ReplyEnd> ReadMainAsync(NodeLink main) => lockCut.Cuts
            ? runner.ReadMainAroundLockAsync(main, targets, analysis, lockCut)
            : runner.ReadGroupRepliesAsync(main, targets, forward: true, summarize: true, sync, analysis);

        public NodeLink[] Others(NodeLink main, ReplyEnd end)
        {
            analysis.LargeObject?.TakeMainsOid(runner._replies);
            return targets[1..];
        }

        public bool MainRefused(NodeLink main) => main.Summary.HasError;

        public async Task<bool> ReplayRefusedAsync(NodeLink main, NodeLink[] others, TimeSpan mainTime)
        {
            await runner.ReplayRefusedGroupOnOthersAsync(main, targets, sync, analysis, internalTransaction, mainTime);
            return true;
        }

        /// <summary>Never called: see <see cref="ReadMainAsync"/>.</summary>
        public Task<bool> CopyInAsync(NodeLink main, NodeLink[] others) => Task.FromResult(true);

        public Task FlushOthersAsync(NodeLink[] others, bool deferred, bool passes) =>
            runner._write.FlushGroupToOthersAsync(others, deferred, passes);

        public Task ReadOthersAsync(NodeLink main, NodeLink[] others, TimeSpan mainTime) =>
            runner.ReadOthersGroupRepliesAsync(main, others, targets, sync, analysis, mainTime, drainInjected: false);
    }
}

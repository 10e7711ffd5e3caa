using Pgproxy.Core.Routing;

namespace Pgproxy.Core.Replication;

internal sealed partial class ReplicationSession
{
    /// <summary>
    /// Main refused a write (its error already went to the client). What it did before failing may outlive the
    /// rollback (a sequence drawn, OIDs used): the others run it too, expecting the same error, so they end in the
    /// same state (issue 16 item 1). An internal transaction is then rolled back everywhere.
    /// </summary>
    private async Task ReplayRefusedWriteAsync(NodeLink main, NodeLink[] others, ReadOnlyMemory<byte> otherFrame,
        StatementClassification? statement, bool internalTransaction, TimeSpan mainTime)
    {
        _answer.Release();
        var replayed = statement is not null && WritePath.LeavesStateWhenRefused(main.Summary.ErrorState)
            ? others
            : [];
        if (replayed.Length > 0 && !await SettledForReplayAsync(main))
        {
            replayed = [];
        }

        if (replayed.Length > 0)
        {
            SendToOthers(replayed, otherFrame, internalTransaction);
            await _write.FlushOthersAsync(replayed);
            await _write.ReadOthersAsync(main, replayed, mainTime);
        }

        if (internalTransaction)
        {
            foreach (var other in replayed)
            {
                if (!other.Detached)
                {
                    other.Inject(InjectedQueries.Rollback, InjectedReply.QueryCycle);
                }
            }

            await _write.FlushOthersAsync(replayed);
            main.Inject(InjectedQueries.Rollback, InjectedReply.QueryCycle);
            await WritePath.FlushLinkAsync(main);
            await ReadRepliesAsync(main, forward: false, summarize: false, ReplyStop.UntilDrained);
            await _write.DrainOthersAsync(replayed);
        }
    }

    /// <summary>
    /// Reads the others' owed answers (their place on the connections comes first) before they run what main
    /// refused; false when an earlier statement of the transaction diverged: the others' transaction is then failed
    /// like main's and nothing more runs.
    /// </summary>
    public async Task<bool> SettledForReplayAsync(NodeLink main)
    {
        if (!_write.OthersOwe || await _write.SettleAsync() is null)
        {
            return true;
        }

        var failing = FailTransactions(main);
        await _write.FlushOthersAsync(failing);
        await _write.DrainOthersAsync(failing);
        await WritePath.FlushLinkAsync(main);
        await ReadRepliesAsync(main, forward: false, summarize: false, ReplyStop.UntilDrained);
        return false;
    }

}

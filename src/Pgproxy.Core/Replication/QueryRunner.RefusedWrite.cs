using Pgproxy.Core.Routing;

namespace Pgproxy.Core.Replication;

internal sealed partial class QueryRunner
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
        if (replayed.Length > 0 && !await _host.SettledForReplayAsync(main))
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
            // Begun with a shared snapshot, every other node is in the internal transaction, replayed there or not.
            var ended = _write.InternalBegun ? others : replayed;
            foreach (var other in ended)
            {
                if (!other.Detached)
                {
                    other.Inject(InjectedQueries.Rollback, InjectedReply.QueryCycle);
                }
            }

            await _write.FlushOthersAsync(ended);
            main.Inject(InjectedQueries.Rollback, InjectedReply.QueryCycle);
            await WritePath.FlushLinkAsync(main);
            await _replies.ReadAsync(main, forward: false, summarize: false, ReplyStop.UntilDrained);
            await _write.DrainOthersAsync(ended);
        }
    }

}

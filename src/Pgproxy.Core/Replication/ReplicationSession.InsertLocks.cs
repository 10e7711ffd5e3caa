using Pgproxy.Protocol.Messages;

namespace Pgproxy.Core.Replication;

internal sealed partial class ReplicationSession
{
    /// <summary>
    /// After a request: insert_lock's session-level locks that main still holds once its transaction is over are
    /// released now, so that no other inserter waits for this client's next statement. That is the case after an
    /// INSERT that failed (nothing could release them inside the failed transaction) and the client's ROLLBACK, or
    /// after an unlock that a cancel interrupted. Inside a transaction that can still run a statement they go ahead
    /// of main's next one instead (NodeLink.FlushPendingBegin), which costs no round trip.
    /// </summary>
    private async Task ReleaseInsertLocksAsync()
    {
        if (MainOrNull is not { IsQuiet: true } main || !main.SessionLocks.Any || main.Status != TransactionStatus.Idle
            || (_state.UnsyncedMask & main.Bit) != 0)
        {
            return;
        }

        try
        {
            // A second attempt when a cancel met the first (one cancel fails one statement).
            for (var attempt = 0; attempt < 2 && main.ReleaseSessionLocks(); attempt++)
            {
                await WritePath.FlushLinkAsync(main);
                await _replies.ReadAsync(main, forward: false, summarize: false, ReplyStop.UntilDrained);
            }
        }
        catch (NodeFailureException e)
        {
            // The connection, and with it the locks, is gone; the next request goes on without the node.
            _nodes.Degenerate(e.Link, e.Message);
        }
    }
}

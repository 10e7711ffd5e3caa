using Pgproxy.Protocol.Messages;
using Pgproxy.Protocol.Writing;

namespace Pgproxy.Core.Replication;

internal sealed partial class ReplicationSession
{
    /// <summary>SQLSTATE for a request lost with its node: class 40, so clients retry as after a serialization failure.</summary>
    private const string LostToFailoverState = "40001";

    /// <summary>Main as the session's last request found it (see <see cref="AbandonedForLostMainAsync"/>).</summary>
    private NodeLink? _mainSeen;

    /// <summary>
    /// Runs one client request; when a node fails under it (DESIGN §5) the node is taken out for every session
    /// and this session carries on with the nodes left. A request that nothing of has reached the client yet,
    /// outside a transaction, runs again on them (a read on a lost replica, by a Query or a Sync group that only
    /// reads, or a Query's write whose main went away before answering — the others never saw it). Inside the
    /// client's transaction the transaction is lost with the node if the node served it: the others roll back and
    /// the client gets an error, as after a serialization failure. Without <c>failover_on_backend_error</c>, or with
    /// no node left, the session ends.
    /// </summary>
    private async Task RunRequestAsync(ClientAction action)
    {
        if (await AbandonedForLostMainAsync(action))
        {
            return;
        }

        for (var attempt = 0; ; attempt++)
        {
            var forwardedBefore = _replies.Forwarded;
            var statusBefore = _state.Status;
            try
            {
                switch (action)
                {
                    case ClientAction.Query:
                        await _queries.RunAsync(_frame.WrittenMemory);
                        break;
                    case ClientAction.FunctionCall:
                        await _queries.RunFunctionCallAsync(_frame.WrittenMemory);
                        break;
                    default:
                        await _groups.RunAsync(action == ClientAction.Sync);
                        break;
                }

                return;
            }
            catch (NodeFailureException e) when (_runtime.Options.FailoverOnBackendError && attempt < _links.Length)
            {
                _answer.Release(); // what main answered before the failure reaches the client, as it always did
                var failedMain = MainOrNull == e.Link;
                _nodes.Degenerate(e.Link, e.Message);
                if (MainOrNull is null)
                {
                    throw;
                }

                var writeReady = action != ClientAction.Flush;
                if (statusBefore != TransactionStatus.Idle)
                {
                    if (action == ClientAction.Query && !failedMain && !e.Link.InTransaction
                        && _replies.Forwarded == forwardedBefore)
                    {
                        continue; // a node the transaction never touched: run the request again without it
                    }

                    await AbandonTransactionAsync(
                        $"the client's transaction was lost with backend node {e.Link.NodeId}: {e.Message}",
                        writeReady);
                    return;
                }

                await RollBackEverywhereAsync();
                if (_replies.Forwarded == forwardedBefore && (action == ClientAction.Query || _groups.KeptForRerun))
                {
                    _groups.TakeKeptGroup(); // a lone read of a Sync group runs again as a Query does
                    continue;
                }

                BackendMessageWriter.WriteErrorResponse(_client.Output, "ERROR", LostToFailoverState,
                    $"pgproxy lost backend node {e.Link.NodeId} while running the statement; it did not complete: " +
                    e.Message);
                if (writeReady)
                {
                    FinishRequest(Main);
                }

                return;
            }
        }
    }

    /// <summary>
    /// Main was taken out since the session's last request by someone else (another session, the health check,
    /// DETACH): inside the client's transaction the transaction is lost with it, as when this session meets the
    /// failure itself, and the request is answered with 40001. Carrying on would send the next statement to the new
    /// main while that node may still owe its answers to the transaction's earlier writes, and they would be read as
    /// the statement's (a SELECT answered "UPDATE 1": measured under pgbench with main killed).
    /// </summary>
    private async Task<bool> AbandonedForLostMainAsync(ClientAction action)
    {
        var seen = _mainSeen;
        _mainSeen = MainOrNull;
        // Not for a Flush-ended group: it may be the middle of a pipeline, met by the request's own failover.
        if (seen is null || seen == _mainSeen || seen.Detached || _mainSeen is null
            || _state.Status == TransactionStatus.Idle || action == ClientAction.Flush)
        {
            return false;
        }

        _nodes.Degenerate(seen, "taken out by another session");
        if (action == ClientAction.Sync)
        {
            _groups.DropGroup();
        }

        await AbandonTransactionAsync(
            $"the client's transaction was lost with backend node {seen.NodeId}, taken out meanwhile", writeReady: true);
        return true;
    }

    /// <summary>
    /// The client's transaction cannot go on: it lost its main (or the node serving it). Every node left rolls
    /// back its part, and the new main opens a transaction that fails at once with the reason, so the client
    /// sees what PostgreSQL shows after an error: 25P02 for anything but ROLLBACK, and ROLLBACK for COMMIT.
    /// </summary>
    private async Task AbandonTransactionAsync(string reason, bool writeReady)
    {
        await RollBackEverywhereAsync();
        _state.ForgetTransaction();
        var main = Main;
        main.InjectBegin(InjectedQueries.Begin);
        main.Inject(InjectedQueries.FailTransaction, InjectedReply.QueryCycle);
        await WritePath.FlushLinkAsync(main);
        await ReadRepliesAsync(main, forward: false, summarize: false, ReplyStop.UntilDrained);
        WriteClientError(LostToFailoverState, reason);
        if (writeReady)
        {
            FinishRequest(main);
        }
        else
        {
            SetClientStatus(main);
        }
    }

    /// <summary>
    /// After a node failed mid-request: every live node drops what the request or the transaction left open
    /// there (answers still owed are read and ignored, open transactions rolled back), so all of them are idle.
    /// </summary>
    private async Task RollBackEverywhereAsync()
    {
        // Main's own rollback is not bounded, the others' answers are.
        var bound = _deadline.Begin(MainOrNull, _write.ForgetOwed());
        try
        {
            foreach (var link in _links)
            {
                link.PendingBegin = null;
                if (IsLive(link))
                {
                    await RollBackAsync(link);
                }
            }
        }
        finally
        {
            bound.Dispose();
        }
    }

    /// <summary>One link's part of <see cref="RollBackEverywhereAsync"/>; a node that fails here is taken out.</summary>
    private async Task RollBackAsync(NodeLink link)
    {
        try
        {
            if (link.Owes)
            {
                var owed = link.OwedCount;
                link.ClearOwed();
                await WritePath.FlushLinkAsync(link); // statements held back (see FlushUnlessHeldBackAsync) answer too
                for (var i = 0; i < owed; i++)
                {
                    await ReadRepliesAsync(link, forward: false, summarize: false, ReplyStop.UntilReady);
                }
            }

            if (link.Injected.Count > 0)
            {
                await ReadRepliesAsync(link, forward: false, summarize: false, ReplyStop.UntilDrained);
            }

            if (link.Status != TransactionStatus.Idle)
            {
                link.Inject(InjectedQueries.Rollback, InjectedReply.QueryCycle);
                await WritePath.FlushLinkAsync(link);
                await ReadRepliesAsync(link, forward: false, summarize: false, ReplyStop.UntilDrained);
            }
        }
        catch (Exception e) when (NodeFailures.IsNodeFailure(e))
        {
            _nodes.Degenerate(link, "rolling back after a failover failed: " + e.Message);
        }
    }
}

using System.Buffers;
using System.Text;
using Pgproxy.Core.Backends;
using Pgproxy.Protocol.Messages;

namespace Pgproxy.Core.Replication;

/// <summary>
/// Ending a transaction on every node (DESIGN §3.2, §3.9): others first and main last, through the write gate, in two
/// phases when replication_commit says so; and the channel the two-phase protocol talks through.
/// </summary>
internal sealed partial class WritePath
{
    /// <summary>
    /// True while a one-phase COMMIT is on its way to main and the others (<see cref="CompleteEndAsync"/>): a node's
    /// backend ending then may have lost what main commits.
    /// </summary>
    public bool CommitInFlight { get; private set; }

    /// <summary>How the others' owed answers differed when the last end returned <see cref="TransactionEndOutcome.Diverged"/>.</summary>
    public Divergence? EndDivergence { get; private set; }

    /// <summary>
    /// The write gate's pass for a commit, then the check that no node was attached meanwhile (a commit held at the
    /// closed gate may meet a node attached while it waited). The pass is given back if the session ends here. A
    /// session without some node ends if a recovery's cutover needs the locks it holds (NodeJoin.LocksReleased).
    /// </summary>
    public async ValueTask<WriteGate.Pass> PassCommitGateAsync()
    {
        var locksReleased = _links.JoinLocksReleased;
        WriteGate.Pass pass;
        try
        {
            pass = await _gate.EnterAsync(locksReleased);
        }
        catch (OperationCanceledException) when (locksReleased.IsCancellationRequested)
        {
            if (_links.JoinNodeId is var node and not NodeJoin.NoNode)
            {
                throw EndedForJoin(node);
            }

            pass = await _gate.EnterAsync(); // a token of a join that is over: wait as any commit
        }

        try
        {
            _throwIfANodeWasAttached();
        }
        catch
        {
            pass.Dispose();
            throw;
        }

        return pass;
    }

    /// <summary>
    /// Counts a write from here until main has run it, when the session lacks a node (a recovery's cutover copies
    /// main's sequences only once no such write runs there, see NodeJoin), then makes the attach check.
    /// </summary>
    public async ValueTask<NodeJoin.WriteScope> EnterWriteOnMainAsync()
    {
        var scope = await _links.EnterWriteOnMainAsync();
        try
        {
            _throwIfANodeWasAttached();
        }
        catch
        {
            scope.Dispose();
            throw;
        }

        return scope;
    }

    /// <summary>The session's end when its commit, held at the gate, holds up a recovery's cutover.</summary>
    private BackendTerminatedException EndedForJoin(int node)
    {
        var message = $"pgproxy: backend node {node} is being recovered and this session, connected while it was " +
                      "down, holds locks its cutover waits for; reconnect (the open transaction is rolled back)";
        return BackendTerminatedException.EndedByPgproxy(_links.MainOrNull ?? _links.All[0], message);
    }

    /// <summary>The same check where nothing commits (a rollback, a transaction that only read): no pass needed.</summary>
    public WriteGate.Pass CheckWithoutPass()
    {
        _throwIfANodeWasAttached();
        return default;
    }

    /// <summary>
    /// Ends the internal transaction: COMMIT (or ROLLBACK) to the others, then to main, all sent before any
    /// answer is awaited. A node whose COMMIT fails while main's succeeds has diverged and is taken out; if
    /// main's fails the client gets its error.
    /// </summary>
    public async Task EndInternalTransactionAsync(NodeLink main, NodeLink[] others, bool commit)
    {
        using var pass = commit ? await PassCommitGateAsync() : CheckWithoutPass();
        switch (commit ? await TwoPhase.TryCommitAsync(main, others, clientCommit: null) : TwoPhaseOutcome.NotUsed)
        {
            case TwoPhaseOutcome.Committed or TwoPhaseOutcome.RolledBack:
                return;
            case TwoPhaseOutcome.MainRefused:
                AnswerWithCommitError(main.SwallowedError!); // after the statement's result (see below)
                return;
            case TwoPhaseOutcome.Diverged:
                // Owed answers belong to the client's transactions, never to an internal one; should one turn up,
                // nothing commits.
                commit = false;
                AnswerWithError(TwoPhase.Diverged!.SqlState, TwoPhase.Diverged.Message);
                break;
            default:
                break;
        }

        var end = commit ? _internalCommit : _internalRollback;
        foreach (var other in others)
        {
            if (!other.Detached)
            {
                other.SwallowedError = null;
                end.SendTo(other, isAnswering: false);
            }
        }

        await FlushOthersAsync(others);
        main.SwallowedError = null;
        end.SendTo(main, isAnswering: true);
        if (await CompleteEndAsync(main, others, end))
        {
            return; // main was lost after the others committed
        }

        if (main.SwallowedError is { } mainError)
        {
            // The statement ran; ending its transaction failed (a deferred constraint): PostgreSQL's implicit commit
            // sends the result and then the error, and so does pgproxy's.
            AnswerWithCommitError(mainError);
            return;
        }

        foreach (var other in others)
        {
            if (!other.Detached && other.SwallowedError is not null && commit)
            {
                _links.Degenerate(other, "COMMIT failed where main's succeeded");
            }
        }
    }

    /// <summary>
    /// Ends the client's transaction on every node in it (DESIGN §3.3, §3.9): through the write gate when it commits
    /// writes; in two phases when the end says it may and replication_commit says so; else the others' end goes out
    /// first and the answering node's right behind it, without waiting — each node's lock holders are already
    /// ordered by main — and the client hears back once every node has answered. When the answering node ended
    /// it, a node that failed to is taken out: it no longer holds what the others do.
    /// </summary>
    /// <param name="answering">The node whose answer the client gets: main, or the node the transaction failed on.</param>
    /// <param name="others">The other nodes the transaction reached.</param>
    /// <param name="end">What each node gets and how its answer is read.</param>
    public async Task<TransactionEndOutcome> EndTransactionAsync(NodeLink answering, NodeLink[] others,
        ITransactionEnd end)
    {
        using var pass = end.PassesGate ? await PassCommitGateAsync() : CheckWithoutPass();
        EndDivergence = null;
        if (end.MayCommitInTwoPhases)
        {
            switch (await TwoPhase.TryCommitAsync(answering, others, end))
            {
                case TwoPhaseOutcome.NotUsed:
                    break;
                case TwoPhaseOutcome.Diverged:
                    EndDivergence = TwoPhase.Diverged;
                    return TransactionEndOutcome.Diverged;
                default:
                    _answer.Release();
                    return TransactionEndOutcome.TwoPhase;
            }
        }

        // A plain COMMIT leaves the others' owed answers to the two-phase commit, which reads them with the PREPARE;
        // committing in one phase they are read and compared first.
        if (OthersOwe && await SettleAsync() is { } divergence)
        {
            EndDivergence = divergence;
            return TransactionEndOutcome.Diverged;
        }

        foreach (var other in others)
        {
            if (!other.Detached) // one may have been taken out reading its owed answers
            {
                other.Summary.Clear();
                other.SwallowedError = null;
                end.SendTo(other, isAnswering: false);
            }
        }

        await FlushOthersAsync(others);
        // insert_lock's session-level lock of the transaction's last INSERT, which every node has run: released ahead
        // of main's end, not in a round trip of its own after it (ReplicationSession.ReleaseInsertLocksAsync).
        answering.ReleaseSessionLocks();
        end.SendTo(answering, isAnswering: true);
        answering.Summary.Clear();
        if (await CompleteEndAsync(answering, others, end))
        {
            return TransactionEndOutcome.CommittedWithoutMain;
        }

        if (!answering.Summary.HasError)
        {
            TakeOutFailedEnds(others);
        }

        return TransactionEndOutcome.Answered;
    }

    /// <summary>A node whose end failed where the answering node's succeeded has diverged: it is taken out.</summary>
    private void TakeOutFailedEnds(NodeLink[] others)
    {
        foreach (var other in others)
        {
            if (other.Detached)
            {
                continue;
            }

            if (other.SwallowedError is { } error)
            {
                _links.Degenerate(other, "it failed to end the transaction where main did: " +
                                         Encoding.UTF8.GetString(error.AsSpan(5)).Replace('\0', ' '));
            }
            else if (other.Summary.HasError)
            {
                _links.Degenerate(other, $"it failed to end the transaction where main did: {other.Summary}");
            }
        }
    }

    /// <summary>
    /// The second half of ending a transaction on every node, once the others' end is flushed and the answering
    /// node's is written: flushes it, waits for the others, then reads its answer. When it is lost while the end
    /// <see cref="ITransactionEnd.Commits"/> and the others did commit, it is taken out and true returned: the
    /// transaction stands on them and the caller tells the client it committed. Any other loss of it is thrown.
    /// </summary>
    public async Task<bool> CompleteEndAsync(NodeLink main, NodeLink[] others, ITransactionEnd end)
    {
        NodeFailureException? lost = null;
        var commits = end.Commits;
        CommitInFlight = commits; // a backend ending now is no longer this session's loss alone
        try
        {
            try
            {
                await FlushLinkAsync(main);
            }
            catch (NodeFailureException e) when (commits)
            {
                lost = e;
            }

            await end.ReadOthersAsync(others);
            if (lost is null)
            {
                try
                {
                    await end.ReadAnsweringAsync(main);
                }
                catch (NodeFailureException e) when (commits)
                {
                    lost = e;
                }
            }
        }
        finally
        {
            CommitInFlight = false;
        }

        if (lost is null)
        {
            return false;
        }

        if (!CommittedWithoutMain(lost, main, others))
        {
            throw lost;
        }

        _links.Degenerate(main, "lost while committing (the other nodes committed): " + lost.Message);
        main.ForgetInjected();
        main.Status = TransactionStatus.Idle;
        return true;
    }

    /// <summary>
    /// True when main failed while ending a transaction whose COMMIT the other nodes have already carried out:
    /// the transaction stands on them, so the client is told it committed.
    /// </summary>
    public bool CommittedWithoutMain(NodeFailureException failure, NodeLink main, NodeLink[] others)
    {
        if (failure.Link != main || !_options().FailoverOnBackendError)
        {
            return false;
        }

        foreach (var other in others)
        {
            if (!other.Detached && other.SwallowedError is null)
            {
                return true;
            }
        }

        return false;
    }

    ValueTask<ReplyEnd> ICommitChannel.ReadRepliesAsync(NodeLink link, bool forward, bool summarize, ReplyStop stop) =>
        _replies.ReadAsync(link, forward, summarize, stop);

    ValueTask ICommitChannel.FlushAsync(NodeLink link) => FlushLinkAsync(link);

    Task ICommitChannel.FlushOthersAsync(NodeLink[] others) => FlushOthersAsync(others);

    Task ICommitChannel.DrainOthersAsync(NodeLink[] others) => DrainOthersAsync(others);

    void ICommitChannel.Degenerate(NodeLink link, string reason) => _links.Degenerate(link, reason);

    bool ICommitChannel.HasLiveOthers => _links.HasLiveOthers;

    void ICommitChannel.HoldAnswer(bool keepUntilResult) => HoldAnswer(keepUntilResult);

    void ICommitChannel.AnswerWithError(string sqlState, string message) => AnswerWithError(sqlState, message);

    /// <summary>
    /// Writes pgproxy's error where the statement's answer goes: what main answered before the statement's result
    /// (ParseComplete, BindComplete… of a held extended group) is passed on, the result itself is not.
    /// </summary>
    public void AnswerWithError(string sqlState, string message, string? hint = null)
    {
        _answer.DropResult();
        _replies.ClientErrors++;
        Protocol.Writing.BackendMessageWriter.WriteErrorResponse(_client, "ERROR", sqlState, message, hint: hint);
    }

    void ICommitChannel.AnswerWithNodeError(byte[] errorFrame) => AnswerWithNodeError(errorFrame);

    void ICommitChannel.AnswerWithCommitError(byte[] errorFrame) => AnswerWithCommitError(errorFrame);

    /// <summary>Answers the client with a node's ErrorResponse (whole frame) in place of the statement's result.</summary>
    private void AnswerWithNodeError(byte[] errorFrame)
    {
        _answer.DropResult();
        _replies.ClientErrors++;
        _client.Write(errorFrame);
    }

    /// <summary>
    /// Answers the client with a node's ErrorResponse (whole frame) from ending the transaction: main's held answer
    /// (the statement's result) goes first, since the statement itself succeeded, as PostgreSQL sends it.
    /// </summary>
    private void AnswerWithCommitError(byte[] errorFrame)
    {
        _answer.ReleaseBeforeCommitError();
        _replies.ClientErrors++;
        _client.Write(errorFrame);
    }
}

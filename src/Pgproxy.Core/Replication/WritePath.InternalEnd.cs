namespace Pgproxy.Core.Replication;

internal sealed partial class WritePath
{
    /// <summary>The end of pgproxy's internal transaction that commits (one per session: it keeps no state).</summary>
    private readonly InternalEnd _internalCommit;

    /// <summary>The end of pgproxy's internal transaction that rolls back.</summary>
    private readonly InternalEnd _internalRollback;

    /// <summary>
    /// pgproxy's own COMMIT or ROLLBACK of the internal transaction around an autocommit write, injected on every
    /// node: no answer of it reaches the client, but main's error (kept as its swallowed error) answers the write.
    /// </summary>
    private sealed class InternalEnd(WritePath path, bool commit) : ITransactionEnd
    {
        public bool Commits => commit;

        public bool PassesGate => commit;

        public bool MayCommitInTwoPhases => false; // EndInternalTransactionAsync tried two phases itself

        public void SendTo(NodeLink link, bool isAnswering) =>
            link.Inject(commit ? InjectedQueries.Commit : InjectedQueries.Rollback, InjectedReply.QueryCycle);

        public Task ReadOthersAsync(NodeLink[] others) => path.DrainOthersAsync(others);

        public ValueTask<ReplyEnd> ReadAnsweringAsync(NodeLink answering) =>
            path._replies.ReadAsync(answering, forward: false, summarize: false, ReplyStop.UntilDrained);

        /// <summary>pgproxy's own COMMIT has no answer of its own: the error follows the statement's result.</summary>
        public void AnswerBeforeFailedEnd()
        {
        }
    }
}

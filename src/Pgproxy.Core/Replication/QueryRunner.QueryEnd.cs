using System.Buffers;

namespace Pgproxy.Core.Replication;

internal sealed partial class QueryRunner
{
    /// <summary>
    /// The client's COMMIT, ROLLBACK or PREPARE TRANSACTION in a Query message, as
    /// <see cref="WritePath.EndTransactionAsync"/> runs it: the answering node gets the client's message, the others
    /// the same (or ROLLBACK, when the client commits a transaction that failed), injected so that only the
    /// answering node's answer reaches the client.
    /// </summary>
    /// <param name="runner">The runner whose nodes and client these are.</param>
    /// <param name="frame">The client's Query message.</param>
    /// <param name="othersRollback">What the others get instead of <paramref name="frame"/>, or null.</param>
    /// <param name="commits">A COMMIT of a transaction that did not fail.</param>
    /// <param name="twoPhase">A plain COMMIT of a transaction that wrote, answered by main.</param>
    private sealed class QueryEnd(QueryRunner runner, ReadOnlyMemory<byte> frame, byte[]? othersRollback, bool commits,
        bool twoPhase) : ITransactionEnd
    {
        public bool Commits => commits;

        public bool PassesGate => commits && runner._state.TransactionWrote;

        public bool MayCommitInTwoPhases => twoPhase;

        public void SendTo(NodeLink link, bool isAnswering)
        {
            if (isAnswering)
            {
                runner._host.AnnounceStatement(link, frame.Span);
                link.Output.Write(frame.Span);
                return;
            }

            link.Node.Statistics.CountStatement(Metrics.StatementClass.Transaction);
            link.Inject(othersRollback is null ? frame.Span : othersRollback, InjectedReply.QueryCycle);
        }

        public Task ReadOthersAsync(NodeLink[] others) => runner._write.DrainOthersAsync(others);

        public ValueTask<ReplyEnd> ReadAnsweringAsync(NodeLink answering) =>
            runner._replies.ReadAsync(answering, forward: true, summarize: true, ReplyStop.UntilReady);

        /// <summary>A Query's error is its whole answer.</summary>
        public void AnswerBeforeFailedEnd()
        {
        }
    }
}

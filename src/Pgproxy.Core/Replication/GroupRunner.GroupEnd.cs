using System.Buffers;
using Pgproxy.Protocol.Messages;

namespace Pgproxy.Core.Replication;

internal sealed partial class GroupRunner
{
    /// <summary>
    /// An extended-protocol group that ends the client's transaction (COMMIT, ROLLBACK…), or a lone Sync for the
    /// nodes an unsynced pipeline left open, as <see cref="WritePath.EndTransactionAsync"/> runs it: every node gets
    /// the group (the others ROLLBACK instead when the client commits a transaction that failed), and each node's
    /// answer is read up to the group's Sync.
    /// </summary>
    /// <param name="runner">The runner whose group this is.</param>
    /// <param name="targets">The nodes in the transaction, the answering one first.</param>
    /// <param name="sync">The group ends with Sync (else Flush).</param>
    /// <param name="analysis">What the group does.</param>
    /// <param name="rollBackOthers">The client commits a transaction that failed: the others roll back.</param>
    /// <param name="twoPhase">A plain COMMIT of a transaction that wrote, answered by main.</param>
    private sealed class GroupEnd(GroupRunner runner, NodeLink[] targets, bool sync, GroupAnalysis analysis,
        bool rollBackOthers, bool twoPhase) : ITransactionEnd
    {
        public bool Commits => analysis.EndsTransaction && !rollBackOthers;

        public bool PassesGate => analysis.EndsTransaction && (runner._state.TransactionWrote || analysis.Writes);

        public bool MayCommitInTwoPhases => twoPhase;

        /// <summary>How many messages had gone to the client when the answering node got the group.</summary>
        private long _forwardedBefore;

        /// <summary>How many messages of its answer the answering node passed on (before it was lost).</summary>
        public int Answered => (int)(runner._replies.Forwarded - _forwardedBefore);

        public void SendTo(NodeLink link, bool isAnswering)
        {
            if (isAnswering)
            {
                _forwardedBefore = runner._replies.Forwarded;
            }

            if (!isAnswering && RollsBack(link))
            {
                // COMMIT of a failed transaction: PostgreSQL rolls back; the nodes that did not fail must too.
                link.Inject(InjectedQueries.Rollback, InjectedReply.QueryCycle);
                return;
            }

            runner.SendGroup(link, isAnswering, internalTransaction: false, analysis);
        }

        /// <summary>They run it before main: the setting alone bounds them. A node that fails here is taken out.</summary>
        public async Task ReadOthersAsync(NodeLink[] others)
        {
            using var bound = runner._deadline.Begin(runner._nodes.MainOrNull, TimeSpan.Zero);
            foreach (var other in others)
            {
                if (other.Detached)
                {
                    continue;
                }

                try
                {
                    if (RollsBack(other))
                    {
                        await runner._replies.ReadAsync(other, forward: false, summarize: false, ReplyStop.UntilDrained);
                    }
                    else
                    {
                        await runner.ReadGroupRepliesAsync(other, targets, forward: false, summarize: true, sync,
                            analysis);
                    }
                }
                catch (Exception e) when (NodeFailures.IsNodeFailure(e))
                {
                    runner._nodes.Degenerate(other, "read failed: " + e.Message);
                }
            }
        }

        public ValueTask<ReplyEnd> ReadAnsweringAsync(NodeLink answering) =>
            runner.ReadGroupRepliesAsync(answering, targets, forward: true, summarize: true, sync, analysis);

        public void AnswerBeforeFailedEnd() => runner.AnswerGroup(answered: 0, executed: false);

        /// <summary>An other node in the failed transaction that can take a ROLLBACK now (not inside a pipeline).</summary>
        private bool RollsBack(NodeLink other) =>
            rollBackOthers && other.Status != TransactionStatus.Idle && (runner._state.UnsyncedMask & other.Bit) == 0;
    }

    /// <summary>
    /// The answer PostgreSQL gives a COMMIT group, written by pgproxy where the answering node did not give it:
    /// lost after the others committed (<paramref name="executed"/>: the rest of the answer, ParseComplete,
    /// BindComplete, NoData, CommandComplete…, after the <paramref name="answered"/> messages of it the node had passed
    /// on), or never sent the group because an other could not prepare (up to the Execute, whose answer is the error).
    /// </summary>
    private void AnswerGroup(int answered, bool executed)
    {
        var skip = answered;
        foreach (var frame in Group.Frames)
        {
            switch (frame.Type)
            {
                case FrontendMessageType.Parse:
                    WriteUnlessSent(ParseComplete, ref skip);
                    break;
                case FrontendMessageType.Bind:
                    WriteUnlessSent(BindComplete, ref skip);
                    break;
                case FrontendMessageType.Close:
                    WriteUnlessSent(CloseComplete, ref skip);
                    break;
                case FrontendMessageType.Describe:
                    if (Group.Frame(frame)[5] == (byte)'S')
                    {
                        WriteUnlessSent(NoParameters, ref skip); // COMMIT takes none
                    }

                    WriteUnlessSent(NoData, ref skip);
                    break;
                case FrontendMessageType.Execute when executed:
                    WriteUnlessSent(CommitComplete, ref skip);
                    break;
                case FrontendMessageType.Execute:
                    return;
                default:
                    break; // Sync: the request's end writes ReadyForQuery
            }
        }
    }

    /// <summary>Writes one message of the answer to the client, unless it is among the first the node had sent.</summary>
    private void WriteUnlessSent(ReadOnlySpan<byte> message, ref int skip)
    {
        if (skip > 0)
        {
            skip--;
            return;
        }

        _clientOutput.Write(message);
    }

    private static ReadOnlySpan<byte> ParseComplete => [(byte)'1', 0, 0, 0, 4];

    private static ReadOnlySpan<byte> BindComplete => [(byte)'2', 0, 0, 0, 4];

    private static ReadOnlySpan<byte> CloseComplete => [(byte)'3', 0, 0, 0, 4];

    private static ReadOnlySpan<byte> NoData => [(byte)'n', 0, 0, 0, 4];

    private static ReadOnlySpan<byte> NoParameters => [(byte)'t', 0, 0, 0, 6, 0, 0];

    /// <summary>CommandComplete "COMMIT".</summary>
    private static ReadOnlySpan<byte> CommitComplete => [(byte)'C', 0, 0, 0, 11, (byte)'C', (byte)'O', (byte)'M',
        (byte)'M', (byte)'I', (byte)'T', 0];
}

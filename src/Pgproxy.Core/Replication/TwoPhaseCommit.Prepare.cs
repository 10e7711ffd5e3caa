using System.Buffers;

namespace Pgproxy.Core.Replication;

/// <summary>Phase one of <see cref="TwoPhaseCommit"/>: the others prepare, or everything is rolled back.</summary>
internal sealed partial class TwoPhaseCommit
{
    /// <summary>
    /// Phase one: the others prepare while main holds its locks. A node that cannot prepare fails the transaction
    /// everywhere (<see cref="TwoPhaseOutcome.RolledBack"/>: the client has its error) unless
    /// replication_stop_on_mismatch takes that node out; null when every node left prepared.
    /// The PREPARE goes out in the same packet as the writes held back for the others (WritePath.Defer), whose
    /// answers are read and compared before its own: one round trip less while main holds the transaction's
    /// locks. When they diverged the prepared transactions are rolled back and <see cref="TwoPhaseOutcome.Diverged"/>
    /// returned (main's transaction stands, for the caller to fail as a divergence found before COMMIT fails it). A
    /// node whose held-back statement failed has an aborted transaction, which its PREPARE rolls back. A node the
    /// settings take out for its answers may be left with its transaction prepared: it is down until recovered, and
    /// recovery ends what is prepared in the databases it copies (SchemaCopy).
    /// </summary>
    private async Task<TwoPhaseOutcome?> PrepareOthersAsync(NodeLink main, NodeLink[] others, string gid,
        ITransactionEnd? clientCommit)
    {
        var prepare = InjectedQueries.Encode("PREPARE TRANSACTION '" + gid + "'");
        bool[]? behindOwed = null;
        for (var i = 0; i < others.Length; i++)
        {
            var other = others[i];
            if (other.Detached)
            {
                continue;
            }

            other.SwallowedError = null;
            if (other.Owes)
            {
                other.Output.Write(prepare); // its reply follows the owed answers: expected once they are read
                (behindOwed ??= new bool[others.Length])[i] = true;
            }
            else
            {
                other.Inject(prepare, InjectedReply.QueryCycle);
            }
        }

        await channel.FlushOthersAsync(others);
        if (behindOwed is not null)
        {
            Diverged = await channel.SettleAsync();
            for (var i = 0; i < others.Length; i++)
            {
                if (behindOwed[i] && !others[i].Detached)
                {
                    others[i].SwallowedError = null;
                    others[i].Injected.Enqueue(InjectedReply.QueryCycle);
                }
            }
        }

        await channel.DrainOthersAsync(others);
        if (Diverged is not null)
        {
            await RollBackPreparedAsync(main, others, gid, rollBackMain: false);
            return TwoPhaseOutcome.Diverged;
        }

        NodeLink? refused = null;
        foreach (var other in others)
        {
            if (other.Detached || other.SwallowedError is null)
            {
                continue;
            }

            if (options().ReplicationStopOnMismatch)
            {
                channel.Degenerate(other, $"PREPARE TRANSACTION failed where main's transaction stands: {ErrorText(other.SwallowedError)}");
                continue;
            }

            refused ??= other;
        }

        if (refused is null)
        {
            return null;
        }

        if (Protocol.Backend.ErrorResponseMessage.ReadSqlState(refused.SwallowedError!.AsSpan(5)) == "55000"
            && options().ReplicationCommit is null)
        {
            // "prepared transactions are disabled" on a node the start-up check could not read: with the setting
            // left unset, commit in one phase from now on, as the check would have decided.
            state.Set(false, $"one_phase (backend node {refused.NodeId} refused PREPARE TRANSACTION: " +
                                         $"{ErrorText(refused.SwallowedError!)})");
        }

        await RollBackPreparedAsync(main, others, gid, rollBackMain: true);
        // The node's own ErrorResponse, as PostgreSQL would send it for a COMMIT that failed the same way (a deferred
        // constraint: SQLSTATE, message, DETAIL): the transaction is rolled back everywhere, as the error says. It
        // follows the statement's result when pgproxy's own COMMIT ends an autocommit statement, as PostgreSQL's
        // implicit commit does (Npgsql reads an INSERT … RETURNING's row, then gets 23503 at NextResult).
        Log.PrepareRefused(logger, refused.NodeId, ErrorText(refused.SwallowedError!));
        clientCommit?.AnswerBeforeFailedEnd(); // the client's COMMIT never reached main: what main says before the error
        channel.AnswerWithCommitError(refused.SwallowedError!);
        return TwoPhaseOutcome.RolledBack;
    }

    private async Task RollBackPreparedAsync(NodeLink main, NodeLink[] others, string gid, bool rollBackMain)
    {
        var rollback = InjectedQueries.Encode("ROLLBACK PREPARED '" + gid + "'");
        foreach (var other in others)
        {
            if (!other.Detached)
            {
                // One that failed to prepare has no prepared transaction: its 42704 is swallowed.
                other.Inject(other.SwallowedError is null ? rollback : InjectedQueries.Rollback, InjectedReply.QueryCycle);
            }
        }

        await channel.FlushOthersAsync(others);
        if (rollBackMain && !main.Detached)
        {
            main.Inject(InjectedQueries.Rollback, InjectedReply.QueryCycle);
            await channel.FlushAsync(main);
            await channel.ReadRepliesAsync(main, forward: false, summarize: false, ReplyStop.UntilDrained);
        }

        await channel.DrainOthersAsync(others);
    }
}

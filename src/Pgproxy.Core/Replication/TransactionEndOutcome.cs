namespace Pgproxy.Core.Replication;

/// <summary>How <see cref="WritePath.EndTransactionAsync"/> ended the client's transaction.</summary>
internal enum TransactionEndOutcome : byte
{
    /// <summary>Committed in two phases: main's answer (or pgproxy's error) went to the client.</summary>
    TwoPhase,

    /// <summary>Every node got the end, others first; the answering node's answer went to the client.</summary>
    Answered,

    /// <summary>
    /// The answering node was lost after the others committed: it is taken out, the transaction stands on them,
    /// and the client is to be told it committed.
    /// </summary>
    CommittedWithoutMain,

    /// <summary>
    /// Nothing committed: the others' answers owed to the transaction's writes differ from main's
    /// (<see cref="WritePath.EndDivergence"/>); the client's transaction is to fail as for a divergence found before.
    /// </summary>
    Diverged,
}

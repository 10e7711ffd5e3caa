namespace Pgproxy.Core.Replication;

/// <summary>
/// The end of the client's transaction on every node in it (COMMIT, ROLLBACK, END; in the extended protocol also a
/// lone Sync for nodes an unsynced pipeline left open), as <see cref="WritePath.EndTransactionAsync"/> runs it,
/// whichever protocol carried it (<see cref="QueryRunner"/>, <see cref="GroupRunner"/>): what each node gets and how
/// its answer is read. The order — the write gate, two phases where they apply, the others first and the answering
/// node right behind, a node that failed to end as the answering node did taken out — is the write path's alone.
/// </summary>
internal interface ITransactionEnd
{
    /// <summary>A COMMIT of a transaction that did not fail: a node lost now may have lost what the others commit.</summary>
    bool Commits { get; }

    /// <summary>It commits writes: it passes the write gate, so a check's or a recovery's cut never sees it half way.</summary>
    bool PassesGate { get; }

    /// <summary>A plain COMMIT of a transaction that wrote, answered by main: two phases when replication_commit says so.</summary>
    bool MayCommitInTwoPhases { get; }

    /// <summary>Writes the end to a node: the answering node's copy, whose answer the client gets, or an other's.</summary>
    void SendTo(NodeLink link, bool isAnswering);

    /// <summary>Reads the others' answers (into their summaries or swallowed errors); a node that fails is taken out.</summary>
    Task ReadOthersAsync(NodeLink[] others);

    /// <summary>Reads the answering node's answer, forwarding it to the client.</summary>
    ValueTask<ReplyEnd> ReadAnsweringAsync(NodeLink answering);

    /// <summary>
    /// The end failed before the answering node got it (an other node could not prepare): writes what that node
    /// would have answered before its error (ParseComplete, BindComplete… of a group; nothing for a Query).
    /// </summary>
    void AnswerBeforeFailedEnd();
}

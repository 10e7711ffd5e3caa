namespace Pgproxy.Core.Replication;

/// <summary>How a commit through <see cref="TwoPhaseCommit.TryCommitAsync"/> ended.</summary>
internal enum TwoPhaseOutcome : byte
{
    /// <summary>Not two-phase (setting, one node, what PostgreSQL can't prepare): commit in one phase.</summary>
    NotUsed,

    /// <summary>Main committed, and so did the others.</summary>
    Committed,

    /// <summary>Main's COMMIT failed (its error is the answer); the others rolled their prepared transaction back.</summary>
    MainRefused,

    /// <summary>pgproxy rolled it back everywhere and wrote the client's error (a node could not prepare, main lost).</summary>
    RolledBack,

    /// <summary>
    /// The others' answers to the writes held back for them differed from main's: their prepared transactions are
    /// rolled back, main's still stands (<see cref="TwoPhaseCommit.Diverged"/> says how they differed).
    /// </summary>
    Diverged,
}

namespace Pgproxy.Core.Replication;

internal sealed partial class WritePath
{
    /// <summary>Brings the others' sequences to main's values (see <see cref="SequenceLevel"/>); null: never.</summary>
    public SequenceLevel? Sequences { get; init; }

    /// <summary>
    /// Main ran a write under insert_lock and another node failed it for a reason of timing (<see
    /// cref="Divergence.IsOfTiming"/>): a cancel or timeout there may have come before that node drew what main drew,
    /// and a draw outlives the rollback. Main's transaction still holds insert_lock's lock, so no other inserter
    /// draws meanwhile: the others' sequences are set to main's now, before that transaction ends.
    /// </summary>
    private async Task LevelSequencesAfterTimingAsync(IFannedWrite write, NodeLink main, NodeLink[] others,
        Divergence? mismatch)
    {
        if (mismatch?.TimingError is not null && !main.Summary.HasError && write.LockTable is { } table
            && !main.LockReleasedEarly && Sequences is { } sequences)
        {
            await sequences.LevelAsync(main, others, table, "another node");
        }
    }

    /// <summary>
    /// Main failed a write under insert_lock for a reason of timing, perhaps after it drew; the others do not run it
    /// (the error says nothing they would repeat). Where insert_lock's lock outlived the error (taken before a
    /// savepoint, <see cref="NodeLink.LockOutlivesError"/>), main's transaction still holds it, so no other inserter
    /// draws meanwhile, and the others' sequences are set to main's before that transaction ends. Without the
    /// savepoint PostgreSQL released the lock with the error, and the next inserter may already have drawn.
    /// </summary>
    private async Task LevelSequencesAfterMainTimingAsync(IFannedWrite write, NodeLink main, NodeLink[] others)
    {
        if (main.LockOutlivesError && main.SwallowedError is null && Divergence.IsOfTiming(main.Summary.ErrorState)
            && write.LockTable is { } table && !main.LockReleasedEarly
            && others.Length > 0 && Sequences is { } sequences)
        {
            await sequences.LevelAsync(main, others, table, "main");
        }
    }
}

namespace Pgproxy.Core.Replication;

internal sealed partial class WritePath
{
    /// <summary>Brings the others' sequences to main's values (see <see cref="SequenceLevel"/>); null: never.</summary>
    public SequenceLevel? Sequences { get; init; }

    /// <summary>
    /// Main ran a write under insert_lock and another node failed it for a reason of timing (<see
    /// cref="Divergence.IsOfTiming"/>): a cancel or timeout there may have come before that node drew what main drew,
    /// and a draw outlives the rollback. Main's transaction still holds insert_lock's lock, so no other inserter
    /// draws meanwhile: the others' sequences are set to main's now, before that transaction ends. (When main itself
    /// fails such a write, PostgreSQL releases the lock with the error, and another inserter may draw at once; that
    /// case is not levelled, see README.)
    /// </summary>
    private async Task LevelSequencesAfterTimingAsync(IFannedWrite write, NodeLink main, NodeLink[] others,
        Divergence? mismatch)
    {
        if (mismatch?.TimingError is not null && !main.Summary.HasError && write.LockTable is { } table
            && Sequences is { } sequences)
        {
            await sequences.LevelAsync(main, others, table);
        }
    }
}

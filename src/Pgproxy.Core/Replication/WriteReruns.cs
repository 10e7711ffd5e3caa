namespace Pgproxy.Core.Replication;

/// <summary>
/// Autocommit writes rolled back on every node and run again because their nodes affected different numbers of
/// rows (a race with a commit landing on one node before another, see WritePath.RowCountsDiffer), and those whose
/// counts differed in every run, which the settings then decided as before: shown by the metrics. Many of the
/// latter point at a node whose rows really differ. Also the autocommit writes whose shared REPEATABLE READ snapshot
/// met a row changed since (40001) and ran again (WritePath.ShareWriteSnapshotAsync).
/// </summary>
internal sealed class WriteReruns
{
    private long _ranAgain;
    private long _differedEveryRun;
    private long _serializationRanAgain;

    public long RanAgain => Interlocked.Read(ref _ranAgain);

    public long DifferedEveryRun => Interlocked.Read(ref _differedEveryRun);

    public void CountRanAgain() => Interlocked.Increment(ref _ranAgain);

    public void CountDifferedEveryRun() => Interlocked.Increment(ref _differedEveryRun);

    public long SerializationRanAgain => Interlocked.Read(ref _serializationRanAgain);

    public void CountSerializationRanAgain() => Interlocked.Increment(ref _serializationRanAgain);
}

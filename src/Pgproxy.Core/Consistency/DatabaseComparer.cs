namespace Pgproxy.Core.Consistency;

// Placeholder until the comparer lands (wt-compare): compares nothing.
internal sealed class DatabaseComparer(CheckSettings settings, CheckProgress progress, TimeProvider time)
{
    public Task<DatabaseCheck> CompareAsync(string database, IReadOnlyList<ISnapshotQuery> nodes,
        IReadOnlyCollection<string> tables, CancellationToken cancellationToken)
    {
        _ = (settings, progress, time, nodes, tables, cancellationToken);
        return Task.FromResult(new DatabaseCheck(database, [], []));
    }
}

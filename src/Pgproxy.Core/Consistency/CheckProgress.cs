using System.Collections.Concurrent;

namespace Pgproxy.Core.Consistency;

/// <summary>
/// Where a running check is, table by table and node by node, for SHOW POOL_CHECK and the CLI's progress bar. The
/// comparer reports into it from its own tasks; readers take a copy at any time.
/// </summary>
internal sealed class CheckProgress(TimeProvider time)
{
    private readonly ConcurrentDictionary<(string Database, string Relation, int NodeId), Entry> _entries = new();
    private readonly long _started = time.GetTimestamp();

    /// <summary>Time since the check started.</summary>
    public TimeSpan Elapsed => time.GetElapsedTime(_started);

    /// <summary>A table is about to be read on a node; <paramref name="totalRows"/> may be an estimate.</summary>
    public void Start(string database, string relation, int nodeId, long totalRows) =>
        _entries[(database, relation, nodeId)] = new Entry(totalRows, time.GetTimestamp());

    /// <summary><paramref name="rows"/> more rows of the table were read on the node.</summary>
    public void Advance(string database, string relation, int nodeId, long rows)
    {
        if (_entries.TryGetValue((database, relation, nodeId), out var entry))
        {
            Interlocked.Add(ref entry.Done, rows);
        }
    }

    /// <summary>The table is done on the node: done becomes the true count, which may differ from the estimate.</summary>
    public void Finish(string database, string relation, int nodeId, long rows)
    {
        if (_entries.TryGetValue((database, relation, nodeId), out var entry))
        {
            Volatile.Write(ref entry.Done, rows);
            entry.Total = rows;
            entry.Finished = true;
        }
    }

    /// <summary>Rows read and rows to read, summed over every table and node seen so far.</summary>
    public (long Done, long Total) Totals()
    {
        long done = 0, total = 0;
        foreach (var entry in _entries.Values)
        {
            done += Volatile.Read(ref entry.Done);
            total += Math.Max(entry.Total, Volatile.Read(ref entry.Done));
        }

        return (done, total);
    }

    /// <summary>One row per table and node, in database, table, node order.</summary>
    public IReadOnlyList<CheckProgressRow> Rows() =>
    [
        .. _entries.OrderBy(e => e.Key.Database, StringComparer.Ordinal)
            .ThenBy(e => e.Key.Relation, StringComparer.Ordinal)
            .ThenBy(e => e.Key.NodeId)
            .Select(e => new CheckProgressRow(e.Key.Database, e.Key.Relation, e.Key.NodeId,
                Volatile.Read(ref e.Value.Done), Math.Max(e.Value.Total, Volatile.Read(ref e.Value.Done)),
                time.GetElapsedTime(e.Value.Started), e.Value.Finished)),
    ];

    private sealed class Entry(long total, long started)
    {
        public long Done;
        public long Total = total;
        public volatile bool Finished;
        public long Started { get; } = started;
    }
}

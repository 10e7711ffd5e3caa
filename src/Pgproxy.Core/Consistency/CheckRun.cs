using Pgproxy.Core.Replication;

namespace Pgproxy.Core.Consistency;

/// <summary>
/// One consistency check, running or done: what SHOW POOL_CHECK, the metrics and the system DB show of it. The
/// checker fills it in from its own task; readers see a consistent picture once <see cref="State"/> is not
/// <see cref="CheckState.Running"/>.
/// </summary>
internal sealed class CheckRun(long id, CheckRequest request, DateTimeOffset startedAt, TimeProvider time)
{
    private readonly List<DatabaseCheck> _databases = [];
    private readonly List<CheckFinding> _findings = [];
    private volatile CheckState _state = CheckState.Running;

    public long Id { get; } = id;

    public CheckRequest Request { get; } = request;

    public DateTimeOffset StartedAt { get; } = startedAt;

    public CheckProgress Progress { get; } = new(time);

    public CheckState State => _state;

    /// <summary>The nodes compared, main first.</summary>
    public IReadOnlyList<int> NodeIds { get; set; } = [];

    public DateTimeOffset? FinishedAt { get; private set; }

    /// <summary>Why the check could not be done (state Failed).</summary>
    public string? Error { get; private set; }

    /// <summary>The longest time the write gate held commits for this run's cuts.</summary>
    public TimeSpan LongestPause { get; private set; }

    public IReadOnlyList<DatabaseCheck> Databases
    {
        get
        {
            lock (_databases)
            {
                return [.. _databases];
            }
        }
    }

    public IReadOnlyList<CheckFinding> Findings
    {
        get
        {
            lock (_databases)
            {
                return [.. _findings];
            }
        }
    }

    /// <summary>The write gate's commit count at the run's first cut (see <see cref="WriteGate.Commits"/>).</summary>
    public long CommitsAtCut { get; private set; } = -1;

    /// <summary>What differs, once each: <c>database.schema.table</c>, or the database alone when it is missing.</summary>
    public IReadOnlyList<string> DifferingTables() =>
    [
        .. Findings.Select(f => f.Relation.Length > 0 ? $"{f.Database}.{f.Relation}" : f.Database).Distinct(),
    ];

    public void AddCut(CutOutcome cut)
    {
        LongestPause = cut.Pause > LongestPause ? cut.Pause : LongestPause;
        if (cut.Taken && CommitsAtCut < 0)
        {
            CommitsAtCut = cut.CommitsAtCut;
        }
    }

    public void Add(DatabaseCheck database)
    {
        lock (_databases)
        {
            _databases.Add(database);
            _findings.AddRange(database.Findings);
        }
    }

    public void Add(CheckFinding finding)
    {
        lock (_databases)
        {
            _findings.Add(finding);
        }
    }

    public void Finish(DateTimeOffset at, string? error)
    {
        FinishedAt = at;
        Error = error;
        _state = error is not null ? CheckState.Failed : Findings.Count > 0 ? CheckState.Differs : CheckState.Identical;
    }

    /// <summary>One line for the log and the CLI.</summary>
    public string Summary()
    {
        var tables = Databases.Sum(d => d.Digests.Select(t => t.Relation).Distinct().Count());
        var nodes = string.Join(", ", NodeIds);
        return State switch
        {
            CheckState.Running => $"consistency check {Id} running on nodes {nodes}",
            CheckState.Failed => $"consistency check {Id} could not check: {Error}",
            CheckState.Identical => $"consistency check {Id}: nodes {nodes} identical in {tables} table(s) of " +
                                    $"{Databases.Count} database(s) (write gate held commits {LongestPause.TotalMilliseconds:0.0} ms)",
            _ => $"consistency check {Id}: {Findings.Count} difference(s) between nodes {nodes} in " +
                 $"{DifferingTables().Count} table(s): " +
                 string.Join("; ", Findings.Take(5).Select(f => $"{f.Database}.{f.Relation} node {f.NodeId}: {f.Detail}")),
        };
    }
}

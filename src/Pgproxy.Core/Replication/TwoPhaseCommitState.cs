namespace Pgproxy.Core.Replication;

/// <summary>
/// Whether transactions commit in two phases (replication_commit), why not when they don't, and what the commit
/// protocol and the resolution of in-doubt transactions did: shown by SHOW POOL_STATUS and the metrics.
/// </summary>
internal sealed class TwoPhaseCommitState
{
    private long _twoPhase;
    private long _onePhase;
    private long _resolvedCommitted;
    private long _resolvedRolledBack;
    // Off until the start-up check has seen that every node allows prepared transactions.
    private volatile bool _enabled;
    private volatile string _mode = "one_phase (not checked yet)";

    /// <summary>True when a transaction that wrote on several nodes commits in two phases.</summary>
    public bool Enabled => _enabled;

    /// <summary>two_phase, one_phase, or one_phase with the reason it is not two_phase.</summary>
    public string Mode => _mode;

    public long TwoPhaseCommits => Interlocked.Read(ref _twoPhase);

    /// <summary>Transactions that wrote on several nodes and committed in one phase (what PostgreSQL can't prepare).</summary>
    public long OnePhaseCommits => Interlocked.Read(ref _onePhase);

    public long ResolvedCommitted => Interlocked.Read(ref _resolvedCommitted);

    public long ResolvedRolledBack => Interlocked.Read(ref _resolvedRolledBack);

    /// <summary>How many of pgproxy's transactions each node may hold prepared at once.</summary>
    public PrepareSlots Slots { get; } = new();

    /// <summary>Test hook: awaited after the others prepared, before main's COMMIT (a crash there is tested).</summary>
    public Func<Task>? BeforeMainCommit { get; set; }

    /// <summary>Test hook: awaited after main's COMMIT, before the others' COMMIT PREPARED.</summary>
    public Func<Task>? AfterMainCommit { get; set; }

    public void Set(bool enabled, string mode)
    {
        _enabled = enabled;
        _mode = mode;
    }

    public void CountTwoPhase() => Interlocked.Increment(ref _twoPhase);

    public void CountOnePhase() => Interlocked.Increment(ref _onePhase);

    public void CountResolved(bool committed) =>
        Interlocked.Increment(ref committed ? ref _resolvedCommitted : ref _resolvedRolledBack);
}

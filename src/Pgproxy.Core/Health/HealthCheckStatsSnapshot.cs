namespace Pgproxy.Core.Health;

/// <summary>
/// One node's health check counters at one moment. Counts and durations follow pgpool: total_count includes
/// skipped rounds, the averages divide by the rounds that ran, durations are whole milliseconds, and
/// min_duration is 0 until a round has run.
/// </summary>
internal sealed record HealthCheckStatsSnapshot
{
    public long TotalCount { get; init; }

    public long SuccessCount { get; init; }

    public long FailCount { get; init; }

    public long SkipCount { get; init; }

    public long RetryCount { get; init; }

    public int MaxRetryCount { get; init; }

    public long TotalDurationMs { get; init; }

    public long MaxDurationMs { get; init; }

    public long MinDurationMs { get; init; }

    public DateTimeOffset? LastHealthCheck { get; init; }

    public DateTimeOffset? LastSuccessfulHealthCheck { get; init; }

    public DateTimeOffset? LastSkipHealthCheck { get; init; }

    public DateTimeOffset? LastFailedHealthCheck { get; init; }

    /// <summary>Why the last failed round failed (not a pgpool column; for the log and tests).</summary>
    public string LastFailure { get; init; } = "";

    /// <summary>Rounds that ran (were not skipped).</summary>
    public long RoundsRun => TotalCount - SkipCount;

    public double AverageRetryCount => RoundsRun > 0 ? (double)RetryCount / RoundsRun : 0;

    public double AverageDurationMs => RoundsRun > 0 ? (double)TotalDurationMs / RoundsRun : 0;
}

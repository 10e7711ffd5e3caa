namespace Pgproxy.Core.Health;

/// <summary>
/// One node's health check counters, as pgpool keeps them for <c>SHOW POOL_HEALTH_CHECK_STATS</c>. Written by
/// the node's check loop once a round, read by admin commands; a lock keeps a snapshot consistent (nothing here
/// is on a session's path).
/// </summary>
internal sealed class HealthCheckStats
{
    private readonly Lock _lock = new();
    private HealthCheckStatsSnapshot _current = new();

    /// <summary>A round was due but the node is down: pgpool counts it in total_count and skip_count.</summary>
    public void RecordSkip(DateTimeOffset at)
    {
        lock (_lock)
        {
            _current = _current with
            {
                TotalCount = _current.TotalCount + 1,
                SkipCount = _current.SkipCount + 1,
                LastSkipHealthCheck = at,
            };
        }
    }

    /// <summary>A round ran, started at <paramref name="startedAt"/> and took <paramref name="duration"/>.</summary>
    public void RecordRound(DateTimeOffset startedAt, TimeSpan duration, HealthCheckRoundResult round)
    {
        var ms = (long)duration.TotalMilliseconds;
        lock (_lock)
        {
            var s = _current;
            var succeeded = round.Last.Succeeded;
            _current = s with
            {
                TotalCount = s.TotalCount + 1,
                SuccessCount = s.SuccessCount + (succeeded ? 1 : 0),
                FailCount = s.FailCount + (succeeded ? 0 : 1),
                RetryCount = s.RetryCount + round.Retries,
                MaxRetryCount = Math.Max(s.MaxRetryCount, round.Retries),
                TotalDurationMs = s.TotalDurationMs + ms,
                MaxDurationMs = Math.Max(s.MaxDurationMs, ms),
                MinDurationMs = s.MinDurationMs == 0 ? ms : Math.Min(s.MinDurationMs, ms),
                LastHealthCheck = startedAt,
                LastSuccessfulHealthCheck = succeeded ? startedAt : s.LastSuccessfulHealthCheck,
                LastFailedHealthCheck = succeeded ? s.LastFailedHealthCheck : startedAt,
                LastFailure = succeeded ? s.LastFailure : round.Last.Reason,
            };
        }
    }

    public HealthCheckStatsSnapshot Snapshot()
    {
        lock (_lock)
        {
            return _current;
        }
    }
}

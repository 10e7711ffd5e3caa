using System.Globalization;
using Pgproxy.Core.Backends;

namespace Pgproxy.Core.Operations;

/// <summary>
/// <c>SHOW POOL_HEALTH_CHECK_STATS</c>: one row per node with pgpool's columns and formats (averages with six
/// decimals, durations in whole milliseconds, times in local time, an empty string for "never").
/// </summary>
internal static class HealthCheckStatsReport
{
    public static readonly string[] Columns =
    [
        "node_id", "hostname", "port", "status", "role", "last_status_change", "total_count", "success_count",
        "fail_count", "skip_count", "retry_count", "average_retry_count", "max_retry_count", "max_duration",
        "min_duration", "average_duration", "last_health_check", "last_successful_health_check",
        "last_skip_health_check", "last_failed_health_check",
    ];

    public static (IReadOnlyList<string>, List<string?[]>) Rows(IAdminServices services)
    {
        var main = services.Nodes.MainNode;
        var rows = new List<string?[]>();
        foreach (var node in services.Nodes.Nodes)
        {
            var stats = services.HealthStats.TryGetValue(node.NodeId, out var s) ? s.Snapshot() : new();
            rows.Add(
            [
                Invariant(node.NodeId),
                node.Config.Hostname,
                Invariant(node.Config.Port),
                node.Status switch
                {
                    BackendStatus.Up => "up",
                    BackendStatus.Down => "down",
                    _ => "waiting",
                },
                node == main ? "main" : "replica",
                Time(node.LastStatusChange),
                Invariant(stats.TotalCount),
                Invariant(stats.SuccessCount),
                Invariant(stats.FailCount),
                Invariant(stats.SkipCount),
                Invariant(stats.RetryCount),
                stats.AverageRetryCount.ToString("F6", CultureInfo.InvariantCulture),
                Invariant(stats.MaxRetryCount),
                Invariant(stats.MaxDurationMs),
                Invariant(stats.MinDurationMs),
                stats.AverageDurationMs.ToString("F6", CultureInfo.InvariantCulture),
                Time(stats.LastHealthCheck),
                Time(stats.LastSuccessfulHealthCheck),
                Time(stats.LastSkipHealthCheck),
                Time(stats.LastFailedHealthCheck),
            ]);
        }

        return (Columns, rows);
    }

    private static string Time(DateTimeOffset? at) =>
        at is { } t ? t.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) : "";

    private static string Invariant(long value) => value.ToString(CultureInfo.InvariantCulture);
}

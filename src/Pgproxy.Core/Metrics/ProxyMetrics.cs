using System.Diagnostics;

namespace Pgproxy.Core.Metrics;

/// <summary>
/// The proxy-wide counters that belong to no node: client sessions and statement latency per class. Written
/// from sessions (increments only, no locks, no allocation), read by the metrics endpoint. Per-node counters
/// live in each node's <c>NodeStatistics</c> (Backends).
/// </summary>
internal sealed class ProxyMetrics
{
    private readonly LatencyHistogram[] _latency =
        [.. Enumerable.Range(0, StatementClasses.Count).Select(_ => new LatencyHistogram())];

    private long _sessionsTotal;
    private int _sessionsCurrent;

    /// <summary>Client connections accepted since start (including those refused during their startup).</summary>
    public long SessionsTotal => Interlocked.Read(ref _sessionsTotal);

    /// <summary>Client connections open now, including those still in their startup phase.</summary>
    public int SessionsCurrent => Volatile.Read(ref _sessionsCurrent);

    public void SessionOpened()
    {
        Interlocked.Increment(ref _sessionsTotal);
        Interlocked.Increment(ref _sessionsCurrent);
    }

    public void SessionClosed() => Interlocked.Decrement(ref _sessionsCurrent);

    public LatencyHistogram Latency(StatementClass statementClass) => _latency[(int)statementClass];

    /// <summary>
    /// Records a request of <paramref name="statementClass"/> that started at <paramref name="startTimestamp"/>
    /// (<see cref="Stopwatch.GetTimestamp"/>) and has just been answered.
    /// </summary>
    public void RecordStatement(StatementClass statementClass, long startTimestamp) =>
        _latency[(int)statementClass].Record(
            Stopwatch.GetElapsedTime(startTimestamp).Ticks / TimeSpan.TicksPerMicrosecond);
}

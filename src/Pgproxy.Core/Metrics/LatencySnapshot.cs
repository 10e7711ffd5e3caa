namespace Pgproxy.Core.Metrics;

/// <summary>The bucket counts of a <see cref="LatencyHistogram"/> at one moment, and what they say.</summary>
internal sealed class LatencySnapshot
{
    private readonly long[] _counts;

    public LatencySnapshot(long[] counts, long sumMicroseconds)
    {
        _counts = counts;
        SumMicroseconds = sumMicroseconds;
        foreach (var count in counts)
        {
            Count += count;
        }
    }

    public long Count { get; }

    public long SumMicroseconds { get; }

    /// <summary>
    /// The value at quantile <paramref name="q"/> (0..1) in microseconds: the upper bound of the bucket holding
    /// the ⌈q·n⌉-th smallest value, so it never understates and overstates by at most one bucket width (12.5%).
    /// Null when nothing was recorded.
    /// </summary>
    public long? Quantile(double q)
    {
        if (Count == 0)
        {
            return null;
        }

        var rank = Math.Max(1, (long)Math.Ceiling(Math.Clamp(q, 0, 1) * Count));
        long seen = 0;
        for (var bucket = 0; bucket < _counts.Length; bucket++)
        {
            seen += _counts[bucket];
            if (seen >= rank)
            {
                return LatencyHistogram.UpperBound(bucket);
            }
        }

        return LatencyHistogram.UpperBound(_counts.Length - 1);
    }
}

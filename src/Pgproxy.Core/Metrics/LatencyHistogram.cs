using System.Numerics;

namespace Pgproxy.Core.Metrics;

/// <summary>
/// Latencies in microseconds, counted into log-scale buckets fixed at construction (HdrHistogram's layout with
/// 8 sub-buckets per power of two): recording is one <see cref="Interlocked.Increment(ref long)"/> on a
/// preallocated array plus one add to the sum, with no lock and no allocation, so sessions can call it per
/// statement. Every bucket is at most 1/8 wide relative to its lower bound, so a percentile read back is within
/// 12.5% of the true value. The work of turning counts into percentiles happens on the reader's side, when the
/// metrics endpoint is scraped.
/// </summary>
internal sealed class LatencyHistogram
{
    /// <summary>log2 of the sub-buckets per power of two.</summary>
    public const int SubBucketBits = 3;

    /// <summary>Values from 2^MaxExponent µs (about 19 hours) up land in the last bucket.</summary>
    public const int MaxExponent = 36;

    private const int SubBuckets = 1 << SubBucketBits;

    /// <summary>Buckets 0..7 hold 0..7 µs exactly; then 8 per power of two up to 2^MaxExponent.</summary>
    public const int BucketCount = (MaxExponent - SubBucketBits + 1) * SubBuckets;

    private readonly long[] _counts = new long[BucketCount];
    private long _sumMicroseconds;

    public void Record(long microseconds)
    {
        Interlocked.Increment(ref _counts[BucketOf(microseconds)]);
        Interlocked.Add(ref _sumMicroseconds, Math.Max(0, microseconds));
    }

    /// <summary>The bucket a value falls into.</summary>
    public static int BucketOf(long microseconds)
    {
        if (microseconds < SubBuckets)
        {
            return microseconds <= 0 ? 0 : (int)microseconds;
        }

        var exponent = BitOperations.Log2((ulong)microseconds);
        if (exponent >= MaxExponent)
        {
            return BucketCount - 1;
        }

        var subBucket = (int)(microseconds >> (exponent - SubBucketBits)) & (SubBuckets - 1);
        return ((exponent - SubBucketBits + 1) * SubBuckets) + subBucket;
    }

    /// <summary>The smallest value of a bucket.</summary>
    public static long LowerBound(int bucket)
    {
        if (bucket < SubBuckets)
        {
            return bucket;
        }

        var group = bucket / SubBuckets;
        return (long)(SubBuckets + (bucket % SubBuckets)) << (group - 1);
    }

    /// <summary>The first value above a bucket (the next bucket's lower bound).</summary>
    public static long UpperBound(int bucket) => bucket + 1 < BucketCount ? LowerBound(bucket + 1) : long.MaxValue;

    /// <summary>A copy of the counts and the sum, read bucket by bucket while recording goes on.</summary>
    public LatencySnapshot Snapshot()
    {
        var counts = new long[BucketCount];
        for (var i = 0; i < counts.Length; i++)
        {
            counts[i] = Interlocked.Read(ref _counts[i]);
        }

        return new LatencySnapshot(counts, Interlocked.Read(ref _sumMicroseconds));
    }
}

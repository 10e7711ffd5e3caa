using Pgproxy.Core.Metrics;

namespace Pgproxy.Core.Tests.Metrics;

public sealed class LatencyHistogramTests
{
    [Fact]
    public void Buckets_TileTheRangeWithoutGapsOrOverlaps()
    {
        Assert.Equal(0, LatencyHistogram.LowerBound(0));
        for (var bucket = 0; bucket < LatencyHistogram.BucketCount - 1; bucket++)
        {
            var lower = LatencyHistogram.LowerBound(bucket);
            var upper = LatencyHistogram.UpperBound(bucket);
            Assert.True(upper > lower, $"bucket {bucket}: [{lower}, {upper})");
            Assert.Equal(bucket, LatencyHistogram.BucketOf(lower));
            Assert.Equal(bucket, LatencyHistogram.BucketOf(upper - 1));
            Assert.Equal(bucket + 1, LatencyHistogram.BucketOf(upper));
        }
    }

    [Fact]
    public void EveryBucket_IsAtMostAnEighthOfItsLowerBoundWide()
    {
        for (var bucket = 8; bucket < LatencyHistogram.BucketCount - 1; bucket++)
        {
            var lower = LatencyHistogram.LowerBound(bucket);
            Assert.True((LatencyHistogram.UpperBound(bucket) - lower) * 8 <= lower, $"bucket {bucket}");
        }
    }

    [Theory]
    [InlineData(-5, 0)]
    [InlineData(0, 0)]
    [InlineData(7, 7)]
    [InlineData(8, 8)]
    [InlineData(15, 15)]
    [InlineData(16, 16)]
    [InlineData(17, 16)]
    [InlineData(18, 17)]
    [InlineData(1000, 63)]
    [InlineData(long.MaxValue, LatencyHistogram.BucketCount - 1)]
    public void BucketOf_KnownValues(long micros, int bucket) =>
        Assert.Equal(bucket, LatencyHistogram.BucketOf(micros));

    [Fact]
    public void Quantiles_OfAUniformSpread_AreWithinOneBucketAbove()
    {
        var histogram = new LatencyHistogram();
        for (var micros = 1; micros <= 10_000; micros++)
        {
            histogram.Record(micros);
        }

        var snapshot = histogram.Snapshot();

        Assert.Equal(10_000, snapshot.Count);
        Assert.Equal(10_000L * 10_001 / 2, snapshot.SumMicroseconds);
        foreach (var (q, exact) in new[] { (0.5, 5_000L), (0.9, 9_000L), (0.99, 9_900L), (1.0, 10_000L) })
        {
            var value = snapshot.Quantile(q)!.Value;
            Assert.InRange(value, exact, exact + (exact / 8) + 1);
        }
    }

    [Fact]
    public void Quantiles_SeeTheTailOfASkewedSpread()
    {
        var histogram = new LatencyHistogram();
        for (var i = 0; i < 980; i++)
        {
            histogram.Record(100);
        }

        for (var i = 0; i < 20; i++)
        {
            histogram.Record(50_000);
        }

        var snapshot = histogram.Snapshot();

        Assert.InRange(snapshot.Quantile(0.5)!.Value, 100, 113);
        Assert.InRange(snapshot.Quantile(0.9)!.Value, 100, 113);
        Assert.InRange(snapshot.Quantile(0.99)!.Value, 50_000, 56_250);
    }

    [Fact]
    public void Quantile_OfNothing_IsNull() => Assert.Null(new LatencyHistogram().Snapshot().Quantile(0.5));

    [Fact]
    public async Task ConcurrentRecording_LosesNothing()
    {
        var histogram = new LatencyHistogram();
        await Task.WhenAll(Enumerable.Range(0, 4).Select(t => Task.Run(() =>
        {
            for (var i = 0; i < 50_000; i++)
            {
                histogram.Record((i % 1000) + t);
            }
        })));

        Assert.Equal(200_000, histogram.Snapshot().Count);
    }

    [Fact]
    public void RecordStatement_CountsIntoTheClassesHistogram()
    {
        var metrics = new ProxyMetrics();
        var start = System.Diagnostics.Stopwatch.GetTimestamp();

        metrics.RecordStatement(StatementClass.Write, start);
        metrics.RecordStatement(StatementClass.Write, start);

        Assert.Equal(2, metrics.Latency(StatementClass.Write).Snapshot().Count);
        Assert.Equal(0, metrics.Latency(StatementClass.Read).Snapshot().Count);
    }
}

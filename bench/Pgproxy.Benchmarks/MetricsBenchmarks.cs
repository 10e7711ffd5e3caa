using System.Buffers;
using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using Pgproxy.Core.Backends;
using Pgproxy.Core.Metrics;
using Pgproxy.Protocol.Messages;
using Pgproxy.Protocol.Writing;

namespace Pgproxy.Benchmarks;

/// <summary>
/// What a session pays per statement for the metrics: recording a latency (a bucket index and two Interlocked
/// operations), counting a request for a node, and counting a CommandComplete by its tag. All must allocate
/// nothing ([MemoryDiagnoser] shows 0 B); computing percentiles is the scraper's cost and is measured apart.
/// </summary>
[MemoryDiagnoser]
public class MetricsBenchmarks
{
    private readonly ProxyMetrics _metrics = new();
    private readonly NodeStatistics _statistics = new();
    private readonly LatencyHistogram _filled = new();
    private ReadOnlySequence<byte> _commandComplete;
    private long _started;

    [GlobalSetup]
    public void Setup()
    {
        var w = new ArrayBufferWriter<byte>();
        BackendMessageWriter.WriteCommandComplete(w, "UPDATE 1");
        _commandComplete = new ReadOnlySequence<byte>(w.WrittenMemory);
        _started = Stopwatch.GetTimestamp();
        for (var i = 0; i < 100_000; i++)
        {
            _filled.Record(50 + (i % 5000));
        }
    }

    [Benchmark(Baseline = true)]
    public void RecordStatement() => _metrics.RecordStatement(StatementClass.Write, _started);

    [Benchmark]
    public void CountStatement() => _statistics.CountStatement(StatementClass.Read);

    [Benchmark]
    public void CountCommandComplete() => _statistics.CountReply(BackendMessageType.CommandComplete, _commandComplete);

    /// <summary>The scrape side, for scale: a snapshot and three quantiles.</summary>
    [Benchmark]
    public long? SnapshotQuantiles()
    {
        var snapshot = _filled.Snapshot();
        return snapshot.Quantile(0.5) + snapshot.Quantile(0.9) + snapshot.Quantile(0.99);
    }
}

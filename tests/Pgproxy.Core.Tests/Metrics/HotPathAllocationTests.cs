using System.Buffers;
using System.Diagnostics;
using Pgproxy.Core.Backends;
using Pgproxy.Core.Metrics;
using Pgproxy.Protocol.Messages;
using Pgproxy.Protocol.Writing;

namespace Pgproxy.Core.Tests.Metrics;

/// <summary>What sessions call per statement must not allocate (see also MetricsBenchmarks).</summary>
public sealed class HotPathAllocationTests
{
    [Fact]
    public void RecordingAndCounting_AllocateNothing()
    {
        var metrics = new ProxyMetrics();
        var statistics = new NodeStatistics();
        var w = new ArrayBufferWriter<byte>();
        BackendMessageWriter.WriteCommandComplete(w, "INSERT 0 1");
        var tag = new ReadOnlySequence<byte>(w.WrittenMemory);
        var started = Stopwatch.GetTimestamp();

        void Work()
        {
            for (var i = 0; i < 1000; i++)
            {
                metrics.RecordStatement(StatementClass.Write, started);
                statistics.CountStatement(StatementClass.Write);
                statistics.CountReply(BackendMessageType.CommandComplete, tag);
            }
        }

        Work(); // warm up: static initialisation and JIT are not per statement
        var before = GC.GetAllocatedBytesForCurrentThread();
        Work();
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
        Assert.Equal(2000, statistics.InsertCount);
        Assert.Equal(2000, metrics.Latency(StatementClass.Write).Snapshot().Count);
    }
}

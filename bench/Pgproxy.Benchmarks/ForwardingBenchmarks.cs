using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using BenchmarkDotNet.Attributes;
using Pgproxy.Benchmarks.Support;
using Pgproxy.Protocol.Writing;

namespace Pgproxy.Benchmarks;

/// <summary>
/// A whole pgbench-style simple query forwarded through a running session: client → pgproxy → fake backend →
/// pgproxy → client, over in-memory pipes. <c>Inline</c> runs every pipe continuation on the flushing thread (the
/// whole round trip happens inside the client's flush, so the measurement is pgproxy's CPU cost and allocations
/// with nothing else in the way); <c>ThreadPool</c> hops threads at every pipe, as sockets do
/// (pipe continuations of async methods queue their own state-machine box, so the hops allocate nothing).
/// </summary>
[MemoryDiagnoser]
public class ForwardingBenchmarks
{
    private const int QueriesPerInvoke = 16;

    private static readonly PipeOptions InlineOptions = new(readerScheduler: PipeScheduler.Inline,
        writerScheduler: PipeScheduler.Inline, useSynchronizationContext: false);

    private static readonly PipeOptions ThreadPoolOptions = new(useSynchronizationContext: false);

    private byte[] _query = [];
    private BenchSession? _inline;
    private BenchSession? _threadPool;

    [GlobalSetup]
    public void Setup()
    {
        var writer = new ArrayBufferWriter<byte>();
        FrontendMessageWriter.WriteQuery(writer, "SELECT abalance FROM pgbench_accounts WHERE aid = 42;");
        _query = writer.WrittenSpan.ToArray();
        _inline = BenchSession.StartAsync(InlineOptions).GetAwaiter().GetResult();
        _threadPool = BenchSession.StartAsync(ThreadPoolOptions).GetAwaiter().GetResult();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _inline?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _threadPool?.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    [Benchmark(Baseline = true)]
    public long SimpleQuery_InlinePipes()
    {
        var session = _inline!;
        session.Output.Write(_query);
        var flush = session.Output.FlushAsync();
        if (!flush.IsCompleted)
        {
            flush.AsTask().GetAwaiter().GetResult();
        }

        return session.ReadUntilReadyForQuery();
    }

    [Benchmark(OperationsPerInvoke = QueriesPerInvoke)]
    public ValueTask<long> SimpleQuery_ThreadPoolPipes() => RunQueriesAsync(_threadPool!);

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<long> RunQueriesAsync(BenchSession session)
    {
        long total = 0;
        for (var i = 0; i < QueriesPerInvoke; i++)
        {
            session.Output.Write(_query);
            await session.Output.FlushAsync();
            total += await session.ReadUntilReadyForQueryAsync();
        }

        return total;
    }
}

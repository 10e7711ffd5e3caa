using System.Buffers;
using BenchmarkDotNet.Attributes;
using Pgproxy.Protocol.Framing;
using Pgproxy.Protocol.Messages;
using Pgproxy.Protocol.Writing;

namespace Pgproxy.Benchmarks;

/// <summary>
/// The hot-path header parsing over 100 typical frames (a pgbench-like mix of results and extended-protocol
/// traffic), in one segment and split into 61-byte segments so many headers straddle a boundary; the frontend
/// header check; and the (cold, allocating by design) startup packet decoder.
/// </summary>
[MemoryDiagnoser]
public class FramingBenchmarks
{
    private const int FrameCount = 100;

    private ReadOnlySequence<byte> _single;
    private ReadOnlySequence<byte> _multi;
    private FrameHeader[] _frontendHeaders = [];
    private ReadOnlySequence<byte> _startup;

    [GlobalSetup]
    public void Setup()
    {
        var w = new ArrayBufferWriter<byte>();
        for (var i = 0; i < FrameCount / 5; i++)
        {
            BackendMessageWriter.WriteRowDescription(w, ["aid", "abalance"]);
            BackendMessageWriter.WriteDataRow(w, ["42", "-2715"]);
            BackendMessageWriter.WriteDataRow(w, ["43", null]);
            BackendMessageWriter.WriteCommandComplete(w, "SELECT 2");
            BackendMessageWriter.WriteReadyForQuery(w, TransactionStatus.Idle);
        }

        var bytes = w.WrittenSpan.ToArray();
        _single = new ReadOnlySequence<byte>(bytes);
        _multi = Segments.Split(bytes, 61);

        var f = new ArrayBufferWriter<byte>();
        for (var i = 0; i < FrameCount / 4; i++)
        {
            FrontendMessageWriter.WriteQuery(f, "SELECT abalance FROM pgbench_accounts WHERE aid = 42;");
            FrontendMessageWriter.WriteSync(f);
            FrontendMessageWriter.WriteQuery(f, "UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid = 1;");
            FrontendMessageWriter.WriteTerminate(f);
        }

        var frontend = new ReadOnlySequence<byte>(f.WrittenSpan.ToArray());
        var headers = new List<FrameHeader>();
        while (FrameReader.TryReadHeader(frontend, out var header))
        {
            headers.Add(header);
            frontend = frontend.Slice(header.TotalLength);
        }

        _frontendHeaders = [.. headers];

        var s = new ArrayBufferWriter<byte>();
        FrontendMessageWriter.WriteStartupMessage(s, StartupPacket.ProtocolVersion30,
        [
            new("user", "pgbench"), new("database", "pgbench"), new("application_name", "pgbench"),
            new("client_encoding", "UTF8"),
        ]);
        _startup = new ReadOnlySequence<byte>(s.WrittenSpan.ToArray());
    }

    [Benchmark(OperationsPerInvoke = FrameCount)]
    public int TryReadHeader_SingleSegment() => CountFrames(_single);

    [Benchmark(OperationsPerInvoke = FrameCount)]
    public int TryReadHeader_MultiSegment() => CountFrames(_multi);

    [Benchmark(OperationsPerInvoke = FrameCount)]
    public int ValidateFrontend()
    {
        var sum = 0;
        foreach (var header in _frontendHeaders)
        {
            sum += FrameReader.ValidateFrontend(header).Length;
        }

        return sum;
    }

    [Benchmark]
    public StartupPacket? StartupPacketReader_StartupMessage()
    {
        var buffer = _startup;
        StartupPacketReader.TryRead(ref buffer, out var packet);
        return packet;
    }

    private static int CountFrames(ReadOnlySequence<byte> buffer)
    {
        var count = 0;
        while (FrameReader.TryReadHeader(buffer, out var header))
        {
            buffer = buffer.Slice(header.TotalLength);
            count++;
        }

        return count;
    }

    /// <summary>Builds a sequence of fixed-size segments over a copy of the bytes.</summary>
    private sealed class Segments : ReadOnlySequenceSegment<byte>
    {
        private Segments(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public static ReadOnlySequence<byte> Split(byte[] bytes, int size)
        {
            var first = new Segments(bytes.AsMemory(0, Math.Min(size, bytes.Length)), 0);
            var last = first;
            for (var offset = size; offset < bytes.Length; offset += size)
            {
                var next = new Segments(bytes.AsMemory(offset, Math.Min(size, bytes.Length - offset)), offset);
                last.Next = next;
                last = next;
            }

            return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
        }
    }
}

using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging.Abstractions;
using Pgproxy.Core.Backends;
using Pgproxy.Core.Config;
using Pgproxy.Core.Hosting;
using Pgproxy.Protocol.Framing;
using Pgproxy.Protocol.Writing;

namespace Pgproxy.Benchmarks.Support;

/// <summary>
/// One started client session through a real <see cref="ProxyServer"/> (no listener), its backend a
/// <see cref="CannedBackend"/> (one node) or a <see cref="ReplicatedCannedBackend"/> serving two nodes in native
/// replication mode, everything over in-memory pipes with the given scheduling.
/// </summary>
internal sealed class BenchSession : IAsyncDisposable
{
    private readonly ProxyServer _server;
    private readonly InMemoryDuplex _client;
    private readonly Task _session;

    private BenchSession(ProxyServer server, InMemoryDuplex client, Task session)
    {
        _server = server;
        _client = client;
        _session = session;
    }

    public PipeReader Input => _client.Input;

    public PipeWriter Output => _client.Output;

    /// <summary>A session with one node: pgproxy forwards, nothing is replicated.</summary>
    public static Task<BenchSession> StartAsync(PipeOptions pipeOptions) =>
        StartAsync(pipeOptions, new CannedBackend(pipeOptions), nodeCount: 1);

    /// <summary>
    /// A session with two nodes served by <paramref name="backend"/>; every other option is pgproxy's default
    /// (native replication, load balancing, insert_lock, nondeterministic_write = error, no system database).
    /// </summary>
    public static Task<BenchSession> StartReplicatedAsync(PipeOptions pipeOptions, ReplicatedCannedBackend backend) =>
        StartAsync(pipeOptions, backend, nodeCount: 2);

    private static async Task<BenchSession> StartAsync(PipeOptions pipeOptions, IBackendConnector backend,
        int nodeCount)
    {
        var options = new ProxyOptions
        {
            Backends = [.. Enumerable.Range(0, nodeCount)
                .Select(i => new BackendConfig { NodeId = i, Hostname = "127.0.0.1", Port = 5432 + i })],
            Port = 0,
            UnixSocketDirectories = "",
        };
        var server = new ProxyServer(options, NullLoggerFactory.Instance);
        server.Runtime.BackendConnector = backend;
        var (client, proxyEnd) = InMemoryDuplex.CreatePair(pipeOptions);
        var session = server.Accept(proxyEnd, "bench");
        FrontendMessageWriter.WriteStartupMessage(client.Output, StartupPacket.ProtocolVersion30,
            [new("user", "pgbench"), new("database", "pgbench"), new("application_name", "pgbench")]);
        await client.Output.FlushAsync();
        var bench = new BenchSession(server, client, session);
        await bench.ReadUntilReadyForQueryAsync();
        return bench;
    }

    /// <summary>
    /// Reads and discards messages up to and including the next ReadyForQuery; returns bytes read. Pooled, so the
    /// benchmark's own awaits allocate nothing per query.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<long> ReadUntilReadyForQueryAsync()
    {
        long total = 0;
        while (true)
        {
            var result = await Input.ReadAsync();
            if (TryConsumeThroughReadyForQuery(result, ref total))
            {
                return total;
            }
        }
    }

    /// <summary>The synchronous variant for inline pipes, where the reply is already buffered after the flush.</summary>
    public long ReadUntilReadyForQuery()
    {
        long total = 0;
        while (true)
        {
            if (!Input.TryRead(out var result))
            {
                result = Input.ReadAsync().AsTask().GetAwaiter().GetResult();
            }

            if (TryConsumeThroughReadyForQuery(result, ref total))
            {
                return total;
            }
        }
    }

    /// <summary>
    /// Reads one reply up to and including ReadyForQuery and returns its bytes: for checks, not for timing.
    /// </summary>
    public async Task<byte[]> ReadReplyAsync()
    {
        var reply = new List<byte>();
        while (true)
        {
            var result = await Input.ReadAsync();
            var buffer = result.Buffer;
            while (FrameReader.TryReadHeader(buffer, out var header) && buffer.Length >= header.TotalLength)
            {
                reply.AddRange(buffer.Slice(0, header.TotalLength).ToArray());
                buffer = buffer.Slice(header.TotalLength);
                if (header.Type == (byte)'Z')
                {
                    Input.AdvanceTo(buffer.Start);
                    return [.. reply];
                }
            }

            Input.AdvanceTo(buffer.Start, result.Buffer.End);
            if (result.IsCompleted)
            {
                throw new InvalidOperationException("the proxy closed the session");
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        FrontendMessageWriter.WriteTerminate(Output);
        await Output.FlushAsync();
        await _session.WaitAsync(TimeSpan.FromSeconds(10));
        await _server.StopAsync(ShutdownMode.Fast);
    }

    private bool TryConsumeThroughReadyForQuery(ReadResult result, ref long total)
    {
        var buffer = result.Buffer;
        while (FrameReader.TryReadHeader(buffer, out var header) && buffer.Length >= header.TotalLength)
        {
            total += header.TotalLength;
            buffer = buffer.Slice(header.TotalLength);
            if (header.Type == (byte)'Z')
            {
                Input.AdvanceTo(buffer.Start);
                return true;
            }
        }

        Input.AdvanceTo(buffer.Start, result.Buffer.End);
        if (result.IsCompleted)
        {
            throw new InvalidOperationException("the proxy closed the session");
        }

        return false;
    }
}

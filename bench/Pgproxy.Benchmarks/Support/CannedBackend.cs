using Pgproxy.Core.Auth;
using Pgproxy.Core.Transport;
using System.Buffers;
using System.IO.Pipelines;
using Pgproxy.Core.Backends;
using Pgproxy.Protocol.Framing;
using Pgproxy.Protocol.Messages;
using Pgproxy.Protocol.Writing;

namespace Pgproxy.Benchmarks.Support;

/// <summary>
/// A fake PostgreSQL that answers the startup and then every simple Query with the same pre-built pgbench-style
/// reply (RowDescription, DataRow, CommandComplete, ReadyForQuery). It allocates nothing per query, so whatever
/// a benchmark measures beyond the pipes is pgproxy's own.
/// </summary>
internal sealed class CannedBackend : IBackendConnector
{
    private readonly PipeOptions _pipeOptions;
    private readonly byte[] _reply;

    public CannedBackend(PipeOptions pipeOptions)
    {
        _pipeOptions = pipeOptions;
        var w = new ArrayBufferWriter<byte>();
        BackendMessageWriter.WriteRowDescription(w, ["abalance"]);
        BackendMessageWriter.WriteDataRow(w, ["-2715"]);
        BackendMessageWriter.WriteCommandComplete(w, "SELECT 1");
        BackendMessageWriter.WriteReadyForQuery(w, TransactionStatus.Idle);
        _reply = w.WrittenSpan.ToArray();
    }

    public Task<BackendConnection> ConnectAsync(BackendNode node, BackendPoolKey key, BackendCredential? credential,
        int connectTimeoutMs, EpollLoop? loop, CancellationToken cancellationToken)
    {
        var (proxyEnd, backendEnd) = InMemoryDuplex.CreatePair(_pipeOptions);
        _ = ServeAsync(backendEnd);
        return BackendConnection.StartAsync(new BackendConnection(proxyEnd, node.NodeId, node.Endpoint, key),
            credential, connectTimeoutMs, cancellationToken);
    }

    private async Task ServeAsync(InMemoryDuplex transport)
    {
        var input = transport.Input;
        var output = transport.Output;
        try
        {
            while (true)
            {
                var result = await input.ReadAsync();
                var buffer = result.Buffer;
                if (StartupPacketReader.TryRead(ref buffer, out _))
                {
                    input.AdvanceTo(buffer.Start);
                    break;
                }

                input.AdvanceTo(buffer.Start, buffer.End);
                if (result.IsCompleted)
                {
                    return;
                }
            }

            BackendMessageWriter.WriteAuthenticationOk(output);
            BackendMessageWriter.WriteParameterStatus(output, "server_version", "16.4");
            BackendMessageWriter.WriteParameterStatus(output, "client_encoding", "UTF8");
            BackendMessageWriter.WriteBackendKeyData(output, 4242, 1234);
            BackendMessageWriter.WriteReadyForQuery(output, TransactionStatus.Idle);
            await output.FlushAsync();

            while (true)
            {
                var result = await input.ReadAsync();
                var buffer = result.Buffer;
                if (!Answer(ref buffer, output))
                {
                    return;
                }

                input.AdvanceTo(buffer.Start, result.Buffer.End);
                if (output.UnflushedBytes > 0)
                {
                    await output.FlushAsync();
                }

                if (result.IsCompleted)
                {
                    return;
                }
            }
        }
        catch (Exception e) when (e is IOException or InvalidOperationException)
        {
            // The proxy side went away.
        }
        finally
        {
            transport.Abort();
        }
    }

    /// <summary>Answers every whole frame in the buffer; false at Terminate.</summary>
    private bool Answer(ref ReadOnlySequence<byte> buffer, PipeWriter output)
    {
        while (FrameReader.TryReadHeader(buffer, out var header) && buffer.Length >= header.TotalLength)
        {
            if (header.Type == FrontendMessageType.Terminate)
            {
                return false;
            }

            if (header.Type is FrontendMessageType.Query)
            {
                output.Write(_reply);
            }

            buffer = buffer.Slice(header.TotalLength);
        }

        return true;
    }
}

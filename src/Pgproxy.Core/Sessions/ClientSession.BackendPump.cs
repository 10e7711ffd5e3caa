using System.Buffers;
using System.IO.Pipelines;
using Pgproxy.Core.Transport;
using Pgproxy.Core.Backends;
using Pgproxy.Protocol.Backend;
using Pgproxy.Protocol.Framing;
using Pgproxy.Protocol.Messages;
using Pgproxy.Protocol.Writing;

namespace Pgproxy.Core.Sessions;

internal sealed partial class ClientSession
{
    /// <summary>
    /// Flush to the client mid-burst once this much is buffered, so a large result streams with bounded memory
    /// instead of piling up until ReadyForQuery.
    /// </summary>
    private const int MaxUnflushedBytes = 64 * 1024;

    /// <summary>ReadyForQuery messages seen: when equal to <see cref="_cyclesSent"/>, the backend is between queries.</summary>
    private long _cyclesDone;

    /// <summary>The backend entered COPY FROM STDIN and has not yet finished it.</summary>
    private volatile bool _inCopyIn;

    /// <summary>Bytes of a backend message still to pass through (a large DataRow or CopyData streamed in pieces).</summary>
    private long _backendRemaining;

    /// <summary>Set before the backend pump is woken to stop, so it knows the wake-up is not a failure.</summary>
    private volatile bool _stopBackendPump;

    /// <summary>The backend's node counters (SHOW POOL_BACKEND_STATS); set when the backend pump starts.</summary>
    private NodeStatistics? _backendStatistics;

    /// <summary>
    /// Backend → client. Copies what the backend sends to the client untouched and flushes once the backend has
    /// nothing more buffered (one write per response burst), or when <see cref="MaxUnflushedBytes"/> pile up.
    /// Only ReadyForQuery, ParameterStatus and CopyInResponse bodies are looked at. Returns true when asked to stop, false when the backend or the client went away.
    /// </summary>
    private async Task<bool> PumpBackendAsync()
    {
        var input = _backend!.Input;
        var output = _client.Output;
        _backendStatistics = _runtime.Nodes.Find(_backend.NodeId)?.Statistics;
        while (true)
        {
            var result = await input.ReadAsync();
            var buffer = result.Buffer;
            if (result.IsCanceled && _stopBackendPump)
            {
                input.AdvanceTo(buffer.Start);
                return true;
            }

            var moreBuffered = ForwardBackendFrames(ref buffer, output);
            if (moreBuffered)
            {
                // Stopped early to flush; examine nothing so the next read returns the rest at once.
                input.AdvanceTo(buffer.Start);
            }
            else
            {
                input.AdvanceTo(buffer.Start, result.Buffer.End);
            }

            if (output.UnflushedBytes > 0)
            {
                await output.FlushAsync();
            }

            if (result.IsCompleted && !moreBuffered)
            {
                return false;
            }
        }
    }

    /// <summary>
    /// Copies every complete frame, and pieces of large ones, from <paramref name="buffer"/> to the client and
    /// slices them off. Returns true when it stopped early because enough is buffered to flush first.
    /// </summary>
    private bool ForwardBackendFrames(ref ReadOnlySequence<byte> buffer, PipeWriter output)
    {
        while (true)
        {
            if (output.UnflushedBytes >= MaxUnflushedBytes)
            {
                return !buffer.IsEmpty;
            }

            if (_backendRemaining > 0)
            {
                if (!FrameCopy.CopyRemainder(ref buffer, ref _backendRemaining, output, MaxUnflushedBytes))
                {
                    return false;
                }

                continue;
            }

            if (!FrameReader.TryReadHeader(buffer, out var header))
            {
                return false;
            }

            var type = (BackendMessageType)header.Type;
            if (type is BackendMessageType.CommandComplete or BackendMessageType.ErrorResponse
                && _backendStatistics is { } statistics)
            {
                // Counted by the tag's first word or the error's severity: a peek at the first bytes, nothing
                // decoded. The statement text is never parsed on this path (see SHOW POOL_BACKEND_STATS).
                if (buffer.Length < NodeStatistics.BytesNeeded(header.TotalLength))
                {
                    return false;
                }

                statistics.CountReply(type, buffer);
            }

            if (type == BackendMessageType.ErrorResponse && _admin.PendingErrors is { IsEmpty: false } pending)
            {
                if (buffer.Length < header.TotalLength)
                {
                    return false; // an error is small: wait for all of it to see whether it is a refusal's marker
                }

                if (AnswerAdminError(pending, buffer.Slice(0, header.TotalLength), output))
                {
                    buffer = buffer.Slice(header.TotalLength);
                    continue;
                }
            }

            if (IsDecodedBackendMessage(type))
            {
                if (buffer.Length < header.TotalLength)
                {
                    return false; // these are small: wait for the whole message
                }

                if (!HandleDecodedBackendMessage(type, buffer.Slice(0, header.TotalLength), output))
                {
                    buffer = buffer.Slice(header.TotalLength);
                    continue;
                }
            }

            var available = Math.Min(header.TotalLength, Math.Min(buffer.Length, MaxUnflushedBytes));
            FrameCopy.Copy(buffer.Slice(0, available), output);
            buffer = buffer.Slice(available);
            _backendRemaining = header.TotalLength - available;
        }
    }

    private static bool IsDecodedBackendMessage(BackendMessageType type) => type is BackendMessageType.ReadyForQuery
        or BackendMessageType.ParameterStatus or BackendMessageType.CopyInResponse;

    /// <summary>
    /// Acts on a message whose body matters. Returns true when the frame should still be forwarded as is, false
    /// when this method already wrote (or deliberately dropped) it.
    /// </summary>
    private bool HandleDecodedBackendMessage(BackendMessageType type, ReadOnlySequence<byte> frame, PipeWriter output)
    {
        // The decoded messages are tiny, except a ParameterStatus with a long value (rare).
        Span<byte> small = stackalloc byte[64];
        ReadOnlySpan<byte> body = frame.Length <= small.Length
            ? CopyTo(frame, small)[5..]
            : frame.Slice(5).ToArray();
        switch (type)
        {
            case BackendMessageType.ReadyForQuery:
                _backend!.TransactionStatus = ReadyForQueryMessage.Read(body);
                _inCopyIn = false;
                Volatile.Write(ref _cyclesDone, _cyclesDone + 1);
                return true;
            case BackendMessageType.ParameterStatus:
                var (name, value) = ParameterStatusMessage.Read(body);
                _backend!.SetParameter(name, value);
                return true;
            case BackendMessageType.CopyInResponse:
                _inCopyIn = true;
                return true;
            default:
                return true;
        }
    }

    /// <summary>Writes pgproxy's own error in place of a refused admin command's marker error (true), if it is one.</summary>
    private static bool AnswerAdminError(PendingAdminErrors pending, ReadOnlySequence<byte> frame, PipeWriter output)
    {
        var error = ErrorResponseMessage.Parse(frame.Slice(5).ToArray());
        if (pending.Take(error.SqlState, error.Message) is not { } refusal)
        {
            return false;
        }

        BackendMessageWriter.WriteErrorResponse(output, "ERROR", refusal.SqlState, refusal.Message, hint: refusal.Hint);
        return true;
    }

    private static ReadOnlySpan<byte> CopyTo(in ReadOnlySequence<byte> frame, Span<byte> destination)
    {
        frame.CopyTo(destination);
        return destination[..(int)frame.Length];
    }
}

using System.Buffers;
using System.IO.Pipelines;
using Pgproxy.Core.Transport;
using Pgproxy.Core.Backends;
using Pgproxy.Protocol.Backend;
using Pgproxy.Protocol.Framing;
using Pgproxy.Protocol.Messages;
using Pgproxy.Protocol.Writing;
using Microsoft.Extensions.Logging;
using Pgproxy.Core.Logging;

namespace Pgproxy.Core.Sessions;

internal sealed partial class SingleNodeForwarder
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

    /// <summary>The backend's node counters (SHOW POOL_BACKEND_STATS).</summary>
    private readonly NodeStatistics? _backendStatistics = backendStatistics;

    /// <summary>
    /// Backend → client. Copies what the backend sends to the client untouched and flushes once the backend has
    /// nothing more buffered (one write per response burst), or when <see cref="MaxUnflushedBytes"/> pile up.
    /// Only ReadyForQuery, ParameterStatus and CopyInResponse bodies are looked at. Returns true when asked to stop,
    /// false when the backend or the client went away.
    /// </summary>
    private async Task<bool> PumpBackendAsync()
    {
        var input = _backend.Input;
        var output = _client.Output;
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
                _backend.TransactionStatus = ReadyForQueryMessage.Read(body);
                _inCopyIn = false;
                Volatile.Write(ref _cyclesDone, _cyclesDone + 1);
                return true;
            case BackendMessageType.ParameterStatus:
                var (name, value) = ParameterStatusMessage.Read(body);
                _backend.SetParameter(name, value);
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

    /// <summary>
    /// The backend pump plus what happens when it ends on its own: the backend closed (or failed), so the
    /// client is told (after any FATAL error PostgreSQL sent itself) and the client pump is woken to end
    /// the session. Returns true when the pump stopped because the session asked it to.
    /// </summary>
    private async Task<bool> RunBackendPumpAsync()
    {
        string? failure = null;
        try
        {
            if (await PumpBackendAsync())
            {
                return true;
            }
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or ObjectDisposedException
                                      or OperationCanceledException or ProtocolViolationException)
        {
            failure = e.Message;
        }

        if (_stopBackendPump)
        {
            return false;
        }

        if (_session.TrySetEndReason(SessionEndReason.BackendLost))
        {
            var backend = _backend;
            backend.IsBroken = true;
            Log.BackendLost(_logger, backend.NodeId, backend.ProcessId, failure ?? "connection closed");

            // Mid-message, an ErrorResponse would be read as the rest of that message: then just close, which
            // the client reports as the server closing the connection.
            if (_backendRemaining == 0)
            {
                await _session.TrySendFatalAsync(SqlState.ConnectionFailure,
                    $"pgproxy lost the connection to backend node {backend.NodeId}" +
                    (failure is null ? "" : ": " + failure));
            }
        }

        _client.Input.CancelPendingRead();
        return false;
    }

    private static async Task<bool> AwaitBackendPumpAsync(Task<bool> backendPump)
    {
        bool stopped;
        try
        {
            stopped = await backendPump;
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or ObjectDisposedException
                                      or OperationCanceledException)
        {
            stopped = false;
        }

        return stopped;
    }

    /// <summary>
    /// Waits (briefly, this is the rare path) until the backend has answered every query the client sent, so
    /// those replies reach the client before the session ends. An unsynced extended-protocol group never gets
    /// a ReadyForQuery, and neither does a COPY FROM STDIN the client broke off (the backend waits for CopyDone) nor
    /// a message cut off halfway (the backend waits for the rest), so then there is nothing to wait for.
    /// </summary>
    /// <remarks>
    /// The bound stays well under the 5 s in which pgproxy must answer or close any connection (issue 11): the count
    /// of queries owed an answer can be too high — a Query sent during COPY FROM STDIN ends the COPY instead of
    /// earning a ReadyForQuery of its own — and then only the deadline ends the wait.
    /// </remarks>
    private async Task WaitForOutstandingRepliesAsync(Task backendPump)
    {
        var deadline = Environment.TickCount64 + 2000;
        while (!_extendedUnsynced && !_inCopyIn && _clientRemaining == 0 && !backendPump.IsCompleted
               && Environment.TickCount64 < deadline
               && Volatile.Read(ref _cyclesDone) != _cyclesSent)
        {
            await Task.Delay(1);
        }
    }

    private bool IsBackendBetweenQueries() =>
        !_extendedUnsynced && !_inCopyIn && _clientRemaining == 0
        && Volatile.Read(ref _cyclesDone) == _cyclesSent;

    private void StopBackendPumpAbruptly()
    {
        _stopBackendPump = true;
        _backend.Abort();
    }

    private static partial class Log
    {
        [LoggerMessage(EventIds.BackendLost, LogLevel.Warning,
            "lost connection to node {NodeId} backend pid {BackendPid}: {Reason}")]
        public static partial void BackendLost(ILogger logger, int nodeId, int backendPid, string reason);
    }
}

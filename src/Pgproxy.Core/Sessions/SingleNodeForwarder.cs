using System.Buffers;
using System.IO.Pipelines;

using Microsoft.Extensions.Logging;
using Pgproxy.Core.Admin;
using Pgproxy.Core.Backends;
using Pgproxy.Core.Routing;
using Pgproxy.Core.Transport;
using Pgproxy.Protocol.Framing;
using Pgproxy.Protocol.Frontend;
using Pgproxy.Protocol.Messages;

namespace Pgproxy.Core.Sessions;

/// <summary>
/// The query phase of a session with a single node: two pumps that run side by side, client → backend and
/// backend → client (<c>SingleNodeForwarder.BackendPump.cs</c>). Each pump is the only writer of its destination,
/// so the hot path takes no locks; the two share a few counters to know, when the client leaves, whether the
/// backend is between queries and safe to reuse. What ends the session (its end reason, what the client is told)
/// stays with the session, through <see cref="IForwardedSession"/>.
/// </summary>
internal sealed partial class SingleNodeForwarder(IForwardedSession session, IConnectionTransport client,
    BackendConnection backend, AdminCommandRewriter admin, BackendPool pool, NodeStatistics? backendStatistics,
    ILogger logger)
{
    private readonly IForwardedSession _session = session;
    private readonly IConnectionTransport _client = client;
    private readonly BackendConnection _backend = backend;
    private readonly AdminCommandRewriter _admin = admin;
    private readonly BackendPool _pool = pool;
    private readonly ILogger _logger = logger;

    /// <summary>True when no query of the client is still running: the backend has answered all it was sent.</summary>
    public bool IsWaitingForClient => Volatile.Read(ref _cyclesDone) == Volatile.Read(ref _cyclesSent);

    /// <summary>
    /// Runs both pumps until one side ends, then stops the other. The session ends cleanly when the client sent
    /// Terminate (or just closed) while its backend was between queries: the backend is then reset and cached.
    /// Otherwise the backend connection is marked broken and closed, which makes PostgreSQL roll back whatever
    /// was open.
    /// </summary>
    public async Task RunAsync()
    {
        var backendPump = RunBackendPumpAsync();
        SessionEndReason clientEnd;
        try
        {
            clientEnd = await PumpClientAsync();
        }
        catch (ProtocolViolationException)
        {
            // Like PostgreSQL, answer what came before the bad message, then report the violation.
            await WaitForOutstandingRepliesAsync(backendPump);
            StopBackendPumpAbruptly();
            await AwaitBackendPumpAsync(backendPump);
            throw;
        }
        catch (Exception)
        {
            StopBackendPumpAbruptly();
            await AwaitBackendPumpAsync(backendPump);
            throw;
        }

        if (clientEnd == SessionEndReason.BackendLost)
        {
            // The backend pump ended first and woke us; it has told the client already.
            await AwaitBackendPumpAsync(backendPump);
            return;
        }

        _session.TrySetEndReason(clientEnd);
        var clean = clientEnd is SessionEndReason.ClientTerminated or SessionEndReason.ClientDisconnected
                    && IsBackendBetweenQueries();
        if (clean)
        {
            _stopBackendPump = true;
            _backend.Input.CancelPendingRead();
        }
        else
        {
            StopBackendPumpAbruptly();
        }

        var stopped = await AwaitBackendPumpAsync(backendPump);
        if (!stopped || !clean)
        {
            _backend.IsBroken = true;
        }

        await _session.TellClientWhyAsync(clientEnd);
    }

    /// <summary>Query, Sync and FunctionCall messages forwarded: each earns exactly one ReadyForQuery.</summary>
    private long _cyclesSent;

    /// <summary>Extended-protocol messages were forwarded since the last Sync.</summary>
    private bool _extendedUnsynced;

    /// <summary>Bytes of a client message still to pass through (a large message streamed in pieces).</summary>
    private long _clientRemaining;

    /// <summary>The message being streamed is a Query: each piece is checked for NUL bytes as it passes.</summary>
    private bool _streamingQuery;

    /// <summary>
    /// Client → backend. Reads whatever the client has sent, checks each frame header against PostgreSQL's
    /// rules, and copies the bytes to the backend untouched; only Terminate and pgproxy's own admin commands
    /// are acted on here. One flush per read keeps the client's pipelining (an Npgsql batch goes out in one
    /// write). Returns why the client side ended.
    /// </summary>
    private async Task<SessionEndReason> PumpClientAsync()
    {
        var input = _client.Input;
        var output = _backend.Output;
        while (true)
        {
            var result = await input.ReadAsync();
            var buffer = result.Buffer;
            if (result.IsCanceled)
            {
                input.AdvanceTo(buffer.Start);
                return _session.EndReason == SessionEndReason.None ? SessionEndReason.BackendLost : _session.EndReason;
            }

            _session.MarkClientActivity();
            bool terminated;
            SequencePosition consumed;
            try
            {
                terminated = ForwardClientFrames(ref buffer, output);
                consumed = buffer.Start;
            }
            catch (ProtocolViolationException)
            {
                // Whatever was complete before the bad frame still goes out; then the session ends with 08P01.
                await output.FlushAsync();
                throw;
            }

            input.AdvanceTo(consumed, result.Buffer.End);
            if (output.UnflushedBytes > 0)
            {
                await output.FlushAsync();
            }

            if (terminated)
            {
                return SessionEndReason.ClientTerminated;
            }

            if (result.IsCompleted)
            {
                return SessionEndReason.ClientDisconnected;
            }
        }
    }

    /// <summary>A Query earns one ReadyForQuery; a Parse opens an extended-protocol group that a Sync closes.</summary>
    private void CountStatement(byte type)
    {
        if (type == FrontendMessageType.Query)
        {
            _cyclesSent++;
        }
        else
        {
            _extendedUnsynced = true;
        }
    }

    /// <summary>
    /// Copies every frame (or piece of a large frame) available in <paramref name="buffer"/> to the backend and
    /// slices what it handled off the front. Returns true at a Terminate.
    /// </summary>
    private bool ForwardClientFrames(ref ReadOnlySequence<byte> buffer, PipeWriter output)
    {
        while (true)
        {
            if (_clientRemaining > 0)
            {
                if (_streamingQuery && !buffer.IsEmpty)
                {
                    var piece = Math.Min(_clientRemaining, buffer.Length);
                    QueryMessage.ValidateBodyPiece(buffer.Slice(0, piece), endsBody: piece == _clientRemaining);
                }

                if (!FrameCopy.CopyRemainder(ref buffer, ref _clientRemaining, output, long.MaxValue))
                {
                    return false;
                }

                continue;
            }

            if (!FrameReader.TryReadHeader(buffer, out var header))
            {
                return false;
            }

            FrameReader.ValidateFrontend(header);
            switch (header.Type)
            {
                case FrontendMessageType.Terminate:
                    buffer = buffer.Slice(header.TotalLength > buffer.Length ? buffer.Length : header.TotalLength);
                    return true;
                case FrontendMessageType.Query or FrontendMessageType.Parse:
                    if (header.Type == FrontendMessageType.Query)
                    {
                        // Checked before the Query counts as sent: a rejected one never reaches the backend.
                        ValidateQueryStart(buffer, header);
                    }

                    if (header.Length - 4 <= AdminCommandParser.MaxFrameBody)
                    {
                        if (buffer.Length < header.TotalLength)
                        {
                            return false; // short enough to wait for the whole text
                        }

                        if (_admin.TryRewrite(buffer.Slice(0, header.TotalLength), header.Type, output))
                        {
                            buffer = buffer.Slice(header.TotalLength);
                            CountStatement(header.Type);
                            continue;
                        }

                        ReleaseDatabasesNamedBy(buffer.Slice(0, header.TotalLength), header.Type);
                    }

                    CountStatement(header.Type);
                    break;
                case FrontendMessageType.Sync:
                    _extendedUnsynced = false;
                    _cyclesSent++;
                    break;
                case FrontendMessageType.FunctionCall:
                    _cyclesSent++;
                    break;
                case FrontendMessageType.Bind or FrontendMessageType.Describe
                    or FrontendMessageType.Execute or FrontendMessageType.Close or FrontendMessageType.Flush:
                    _extendedUnsynced = true;
                    break;
                default:
                    break;
            }

            // Pass the frame through: whole if it is here, else what is here now and the rest as it arrives.
            var available = Math.Min(header.TotalLength, buffer.Length);
            _streamingQuery = header.Type == FrontendMessageType.Query;
            FrameCopy.Copy(buffer.Slice(0, available), output);
            buffer = buffer.Slice(available);
            _clientRemaining = header.TotalLength - available;
        }
    }

    /// <summary>The part of a Query's body that is here: the rest is checked piece by piece as it streams.</summary>
    private static void ValidateQueryStart(in ReadOnlySequence<byte> buffer, in FrameHeader header)
    {
        var available = Math.Min(header.TotalLength, buffer.Length);
        QueryMessage.ValidateBodyPiece(buffer.Slice(FrameHeader.Size, available - FrameHeader.Size),
            endsBody: available == header.TotalLength);
    }

    /// <summary>
    /// Before a DROP/ALTER … RENAME/CREATE DATABASE passes through, closes pgproxy's idle cached connections to the
    /// databases it needs free (see <see cref="DatabaseStatementTargets"/>); otherwise the statement fails with
    /// 55006 because of connections the client never opened. <paramref name="frame"/> is a whole Query or Parse
    /// of at most <see cref="AdminCommandParser.MaxFrameBody"/> bytes of body: such statements are short.
    /// </summary>
    private void ReleaseDatabasesNamedBy(in ReadOnlySequence<byte> frame, byte type)
    {
        Span<byte> body = stackalloc byte[AdminCommandParser.MaxFrameBody];
        var length = (int)frame.Length - 5;
        frame.Slice(5).CopyTo(body);
        body = body[..length];
        if (type == FrontendMessageType.Parse)
        {
            var nameEnd = body.IndexOf((byte)0);
            body = nameEnd < 0 ? [] : body[(nameEnd + 1)..];
        }

        var queryEnd = body.IndexOf((byte)0);
        if (queryEnd < 0 || !DatabaseStatementTargets.MayName(body[..queryEnd]))
        {
            return;
        }

        // Not awaited: PostgreSQL itself waits up to 5 s for backends that are on their way out.
        _ = _pool.CloseIdleToAsync(DatabaseStatementTargets.Find(body[..queryEnd]));
    }
}

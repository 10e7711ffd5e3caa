using System.Buffers;
using System.IO.Pipelines;
using Pgproxy.Core.Transport;
using Pgproxy.Core.Admin;
using Pgproxy.Protocol.Framing;
using Pgproxy.Protocol.Frontend;
using Pgproxy.Protocol.Messages;

namespace Pgproxy.Core.Sessions;

internal sealed partial class ClientSession
{
    /// <summary>Query, Sync and FunctionCall messages forwarded: each earns exactly one ReadyForQuery.</summary>
    private long _cyclesSent;

    /// <summary>Extended-protocol messages were forwarded since the last Sync.</summary>
    private bool _extendedUnsynced;

    /// <summary>Environment.TickCount64 of the client's last bytes, for <c>client_idle_limit</c>.</summary>
    private long _lastClientActivity;

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
        var output = _backend!.Output;
        while (true)
        {
            var result = await input.ReadAsync();
            var buffer = result.Buffer;
            if (result.IsCanceled)
            {
                input.AdvanceTo(buffer.Start);
                return EndReason == SessionEndReason.None ? SessionEndReason.BackendLost : EndReason;
            }

            Volatile.Write(ref _lastClientActivity, Environment.TickCount64);
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
}

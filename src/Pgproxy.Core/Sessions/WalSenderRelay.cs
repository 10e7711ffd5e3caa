using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using Pgproxy.Core.Backends;
using Pgproxy.Core.Transport;

namespace Pgproxy.Core.Sessions;

/// <summary>
/// Relays a replication connection (a walsender on main) byte for byte both ways until either side closes. The
/// replication protocol (IDENTIFY_SYSTEM, CREATE_REPLICATION_SLOT, START_REPLICATION and its CopyBoth stream) is
/// PostgreSQL's business alone: nothing is decoded, cached, rewritten or load-balanced. Only the 5-byte headers of
/// what the node sends are followed, so that when the node goes away pgproxy knows whether the client is between
/// messages (and can be told why in an ErrorResponse) and whether the node's own last word was an ErrorResponse.
/// </summary>
internal sealed class WalSenderRelay(IConnectionTransport client, BackendConnection backend)
{
    /// <summary>Bytes of the node's current message not yet passed on (0: the client is between messages).</summary>
    private long _remaining;

    /// <summary>Type byte of the last message the node started.</summary>
    private byte _lastType;

    /// <summary>Set before the client's read is cancelled because the node ended, so it is not taken for a stop.</summary>
    private volatile bool _backendEnded;

    /// <summary>Runs until one side ends, then stops the other; never throws for either side's I/O.</summary>
    public async Task<WalSenderRelayOutcome> RunAsync()
    {
        var toClient = PumpBackendAsync();
        var toBackend = PumpClientAsync();
        var first = await Task.WhenAny(toClient, toBackend);
        if (first == toClient)
        {
            _backendEnded = true;
            client.Input.CancelPendingRead();
            await toBackend;
            return await toClient;
        }

        var clientEnd = await toBackend;
        if (clientEnd is { } end)
        {
            // The client left or the session stopped the relay: closing the socket ends the walsender.
            backend.Abort();
            await toClient;
            return end.End == WalSenderRelayEnd.Stopped && _remaining > 0
                ? end with { End = WalSenderRelayEnd.StoppedMidMessage }
                : end;
        }

        // Writing to the node failed: it is going away, and its side says how.
        backend.Abort();
        return await toClient;
    }

    /// <summary>Client → node. Returns how the client side ended, or null when writing to the node failed.</summary>
    private async Task<WalSenderRelayOutcome?> PumpClientAsync()
    {
        var input = client.Input;
        try
        {
            while (true)
            {
                var result = await input.ReadAsync();
                var buffer = result.Buffer;
                if (result.IsCanceled)
                {
                    input.AdvanceTo(buffer.Start);
                    return new WalSenderRelayOutcome(_backendEnded ? WalSenderRelayEnd.BackendLost
                        : WalSenderRelayEnd.Stopped);
                }

                if (!buffer.IsEmpty && !await TryPassAsync(buffer, backend.Output))
                {
                    input.AdvanceTo(buffer.End);
                    return null;
                }

                input.AdvanceTo(buffer.End);
                if (result.IsCompleted)
                {
                    return new WalSenderRelayOutcome(WalSenderRelayEnd.ClientLeft);
                }
            }
        }
        catch (Exception e) when (IsIoFailure(e))
        {
            return new WalSenderRelayOutcome(WalSenderRelayEnd.ClientLeft);
        }
    }

    /// <summary>Node → client, following message boundaries; returns how the node's side ended.</summary>
    private async Task<WalSenderRelayOutcome> PumpBackendAsync()
    {
        var input = backend.Input;
        string? failure = null;
        try
        {
            while (true)
            {
                var result = await input.ReadAsync();
                var buffer = result.Buffer;
                var passable = PassableLength(buffer);
                if (passable > 0 && !await TryPassAsync(buffer.Slice(0, passable), client.Output))
                {
                    return new WalSenderRelayOutcome(WalSenderRelayEnd.ClientLeft);
                }

                input.AdvanceTo(buffer.GetPosition(passable), buffer.End);
                if (result.IsCompleted || result.IsCanceled)
                {
                    break;
                }
            }
        }
        catch (InvalidDataException e)
        {
            failure = e.Message;
        }
        catch (Exception e) when (IsIoFailure(e))
        {
            failure = e.Message;
        }

        return _remaining > 0 ? new WalSenderRelayOutcome(WalSenderRelayEnd.BackendLostMidMessage, failure)
            : _lastType == (byte)'E' && failure is null ? new WalSenderRelayOutcome(WalSenderRelayEnd.BackendExplained)
            : new WalSenderRelayOutcome(WalSenderRelayEnd.BackendLost, failure);
    }

    /// <summary>
    /// How much of <paramref name="buffer"/> can go to the client now: the rest of the current message, then every
    /// message whose header is buffered (its body streams as it comes). A header split across reads waits for its
    /// last bytes, so the client only ever sees whole headers and knows where messages end.
    /// </summary>
    private long PassableLength(in ReadOnlySequence<byte> buffer)
    {
        long passable = 0;
        Span<byte> header = stackalloc byte[5];
        while (true)
        {
            var left = buffer.Length - passable;
            if (_remaining > 0)
            {
                var piece = Math.Min(_remaining, left);
                _remaining -= piece;
                passable += piece;
                if (_remaining > 0)
                {
                    return passable;
                }

                continue;
            }

            if (left < header.Length)
            {
                return passable;
            }

            buffer.Slice(passable, header.Length).CopyTo(header);
            var length = BinaryPrimitives.ReadInt32BigEndian(header[1..]);
            if (length < 4)
            {
                throw new InvalidDataException($"backend sent a message of invalid length {length}");
            }

            _lastType = header[0];
            _remaining = 1L + length;
        }
    }

    /// <summary>Copies and flushes; false when the destination has gone away.</summary>
    private static async Task<bool> TryPassAsync(ReadOnlySequence<byte> bytes, PipeWriter destination)
    {
        try
        {
            FrameCopy.Copy(bytes, destination);
            var flush = await destination.FlushAsync();
            return !flush.IsCompleted && !flush.IsCanceled;
        }
        catch (Exception e) when (IsIoFailure(e))
        {
            return false;
        }
    }

    private static bool IsIoFailure(Exception e) =>
        e is IOException or InvalidOperationException or ObjectDisposedException or OperationCanceledException;
}

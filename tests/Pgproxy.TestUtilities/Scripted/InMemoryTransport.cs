using System.IO.Pipelines;
using Pgproxy.Core.Transport;

namespace Pgproxy.TestUtilities.Scripted;

/// <summary>
/// One end of an in-memory connection: two <see cref="Pipe"/>s, one per direction. <see cref="Abort"/> behaves like
/// closing a socket: this end's pending and later reads fail with an <see cref="IOException"/>, and the peer reads
/// whatever was already flushed to it, then end of stream (so a FATAL ErrorResponse written just before the close
/// is not lost, as with a real socket).
/// </summary>
internal sealed class InMemoryTransport : IConnectionTransport
{
    /// <summary>Pipe options with the default back-pressure thresholds and no synchronization context.</summary>
    public static readonly PipeOptions DefaultOptions = new(useSynchronizationContext: false);

    private readonly Pipe _incoming;
    private readonly Pipe _outgoing;
    private InMemoryTransport? _peer;
    private int _aborted;
    private int _disposed;

    private InMemoryTransport(Pipe incoming, Pipe outgoing)
    {
        _incoming = incoming;
        _outgoing = outgoing;
    }

    public PipeReader Input => _incoming.Reader;

    public PipeWriter Output => _outgoing.Writer;

    /// <summary>The other end of the connection.</summary>
    public InMemoryTransport Peer => _peer!;

    public bool IsAborted => Volatile.Read(ref _aborted) != 0;

    /// <summary>Creates a connected pair: what one end writes, the other reads.</summary>
    public static (InMemoryTransport Left, InMemoryTransport Right) CreatePair(PipeOptions? options = null)
    {
        options ??= DefaultOptions;
        var leftToRight = new Pipe(options);
        var rightToLeft = new Pipe(options);
        var left = new InMemoryTransport(rightToLeft, leftToRight);
        var right = new InMemoryTransport(leftToRight, rightToLeft);
        left._peer = right;
        right._peer = left;
        return (left, right);
    }

    /// <summary>True until either end aborted.</summary>
    public bool LooksIdleAndAlive() => !IsAborted && !Peer.IsAborted;

    public void Abort()
    {
        if (Interlocked.Exchange(ref _aborted, 1) != 0)
        {
            return;
        }

        // Our own pending reads fail at once; the peer sees end of stream after what was flushed.
        TryComplete(_incoming.Writer, new IOException("the in-memory connection was aborted"));
        TryComplete(_outgoing.Writer, null);
    }

    public ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            Abort();
            try
            {
                _incoming.Reader.Complete();
            }
            catch (InvalidOperationException)
            {
                // A read is still pending somewhere; the aborted writer has already failed it.
            }
        }

        return ValueTask.CompletedTask;
    }

    private static void TryComplete(PipeWriter writer, Exception? error)
    {
        try
        {
            writer.Complete(error);
        }
        catch (InvalidOperationException)
        {
            // Completed concurrently by the other end.
        }
    }
}

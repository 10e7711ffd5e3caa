using System.IO.Pipelines;
using Pgproxy.Core.Transport;

namespace Pgproxy.Benchmarks.Support;

/// <summary>
/// One end of an in-memory connection (two pipes), a trimmed copy of the test utilities' InMemoryTransport so the
/// benchmarks do not depend on xunit. Abort fails this end's reads and ends the peer's stream.
/// </summary>
internal sealed class InMemoryDuplex : IConnectionTransport
{
    private readonly Pipe _incoming;
    private readonly Pipe _outgoing;
    private int _aborted;

    private InMemoryDuplex(Pipe incoming, Pipe outgoing)
    {
        _incoming = incoming;
        _outgoing = outgoing;
    }

    public PipeReader Input => _incoming.Reader;

    public PipeWriter Output => _outgoing.Writer;

    public static (InMemoryDuplex Left, InMemoryDuplex Right) CreatePair(PipeOptions options)
    {
        var leftToRight = new Pipe(options);
        var rightToLeft = new Pipe(options);
        return (new InMemoryDuplex(rightToLeft, leftToRight), new InMemoryDuplex(leftToRight, rightToLeft));
    }

    public bool LooksIdleAndAlive() => Volatile.Read(ref _aborted) == 0;

    public void Abort()
    {
        if (Interlocked.Exchange(ref _aborted, 1) == 0)
        {
            _incoming.Writer.Complete(new IOException("aborted"));
            _outgoing.Writer.Complete();
        }
    }

    public ValueTask DisposeAsync()
    {
        Abort();
        return ValueTask.CompletedTask;
    }
}

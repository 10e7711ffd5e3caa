using System.IO.Pipelines;

namespace Pgproxy.Core.Transport;

/// <summary>
/// A byte stream to a peer as a pair of pipes: a socket in production (<see cref="SocketPipe"/>), an in-memory
/// pipe pair in session tests and benchmarks.
/// </summary>
internal interface IConnectionTransport : IDuplexPipe, IAsyncDisposable
{
    /// <summary>Closes at once so that pending reads and writes fail fast.</summary>
    void Abort();

    /// <summary>True when the peer has neither closed nor sent anything (used on idle cached connections).</summary>
    bool LooksIdleAndAlive();
}

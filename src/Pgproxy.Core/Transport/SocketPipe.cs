using System.IO.Pipelines;
using System.Net.Sockets;

namespace Pgproxy.Core.Transport;

/// <summary>
/// A socket seen as a pair of pipes. The reader pulls straight from the socket when the session asks for data
/// (no pump task, no extra thread hop: with inline socket completions the session's continuation runs on the
/// epoll thread), and the writer buffers until the session flushes, which is how flushes get batched. Both are
/// pgproxy's own thin Pipelines implementations over the socket (<see cref="SocketPipeReader"/>,
/// <see cref="SocketPipeWriter"/>), which cost less per round trip than the stream-based ones.
/// </summary>
internal sealed class SocketPipe : ISocketTransport
{
    private readonly Socket _socket;
    private int _disposed;

    public SocketPipe(Socket socket)
    {
        _socket = socket;
        Input = new SocketPipeReader(socket);
        Output = new SocketPipeWriter(socket);
    }

    public PipeReader Input { get; }

    public PipeWriter Output { get; }

    public bool LooksIdleAndAlive() => SocketProbe.LooksIdleAndAlive(_socket);

    /// <summary>Closes the socket at once so that pending reads and writes on both pipes fail fast.</summary>
    public void Abort()
    {
        SocketProbe.Shutdown(_socket);
        _socket.Close();
    }

    /// <summary>Hands the socket over; the reader only receives when the session reads, so nothing is lost.</summary>
    public Socket DetachSocket()
    {
        ObjectDisposedException.ThrowIf(Interlocked.Exchange(ref _disposed, 1) != 0, this);
        Input.Complete();
        Output.Complete();
        return _socket;
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        Abort();
        await Input.CompleteAsync();
        await Output.CompleteAsync();
    }
}

using System.IO.Pipelines;
using System.Net.Sockets;

namespace Pgproxy.Core.Transport;

/// <summary>
/// A socket served by pgproxy's own <see cref="EpollLoop"/> instead of .NET's socket engine: the transport of
/// every client and backend connection where it is supported (see <see cref="Create"/>). A session's client
/// and backend connections share a loop, so a round trip never changes thread.
/// </summary>
internal sealed class EpollConnection : ISocketTransport
{
    private readonly Socket _socket;
    private readonly EpollPipeReader _reader;
    private readonly EpollPipeWriter _writer;
    private readonly ulong _id;
    private int _disposed;

    private EpollConnection(Socket socket, EpollLoop loop)
    {
        _socket = socket;
        socket.Blocking = false;
        Fd = (int)socket.Handle;
        Loop = loop;
        _reader = new EpollPipeReader(this);
        _writer = new EpollPipeWriter(this);
        _id = loop.Register(this);
    }

    public int Fd { get; }

    public EpollLoop Loop { get; }

    public PipeReader Input => _reader;

    public PipeWriter Output => _writer;

    /// <summary>
    /// Wraps a connected socket that has never been used for an asynchronous .NET operation (such an operation
    /// would register it with .NET's engine too): on <paramref name="loop"/>, or the next loop, or, where the
    /// epoll transport is not available, as a <see cref="SocketPipe"/>.
    /// </summary>
    public static IConnectionTransport Create(Socket socket, EpollLoop? loop = null)
    {
        loop ??= EpollLoop.Next();
        return loop is null ? new SocketPipe(socket) : new EpollConnection(socket, loop);
    }

    public void OnEvents(uint events)
    {
        if ((events & (EpollNative.EpollIn | EpollNative.EpollRdHup | EpollNative.EpollHup | EpollNative.EpollErr)) != 0)
        {
            _reader.OnReadable(
                peerClosed: (events & (EpollNative.EpollRdHup | EpollNative.EpollHup | EpollNative.EpollErr)) != 0);
        }

        if ((events & (EpollNative.EpollOut | EpollNative.EpollHup | EpollNative.EpollErr)) != 0)
        {
            _writer.OnWritable();
        }
    }

    public bool LooksIdleAndAlive() => SocketProbe.LooksIdleAndAlive(_socket);

    /// <summary>Shuts the socket down; epoll then reports it, which ends a pending read or flush.</summary>
    public void Abort() => SocketProbe.Shutdown(_socket);

    /// <summary>
    /// Takes the socket off the loop. No <c>recv</c> runs after the last read the session asked for (an event
    /// only marks the socket readable), so everything the peer sent since is still in the kernel for the new owner.
    /// </summary>
    public Socket DetachSocket()
    {
        ObjectDisposedException.ThrowIf(Interlocked.Exchange(ref _disposed, 1) != 0, this);
        Loop.Unregister(_id, Fd);
        _reader.Complete();
        _writer.Complete();
        _socket.Blocking = true;
        return _socket;
    }

    public ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return ValueTask.CompletedTask;
        }

        Abort();
        Loop.Unregister(_id, Fd);
        _reader.Complete();
        _writer.Complete();
        _socket.Dispose();
        return ValueTask.CompletedTask;
    }
}

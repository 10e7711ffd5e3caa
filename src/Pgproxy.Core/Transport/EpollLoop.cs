using System.Collections.Concurrent;
using System.Runtime.InteropServices;

namespace Pgproxy.Core.Transport;

/// <summary>
/// One event loop thread with its own epoll instance, like one PgBouncer process. Sockets are registered once,
/// edge-triggered; an event only marks the socket readable or writable and completes the read or flush that
/// waits for it, whose continuation (the session's pump) runs right here. Compared with .NET's socket engine
/// this saves, per message, the receive that is tried before waiting and fails with EAGAIN, and the layers
/// between the event and the pump. Registrations are looked up by a never-reused id, so an event that arrives
/// for a socket closed meanwhile finds nothing instead of a recycled descriptor.
/// </summary>
internal sealed class EpollLoop
{
    private const int MaxEvents = 256;

    private static readonly Lazy<EpollLoop[]?> Loops = new(CreateLoops);
    private static int _nextLoop;

    private readonly int _epollFd;
    private readonly ConcurrentDictionary<ulong, EpollConnection> _connections = new();
    private long _nextId;

    private EpollLoop(int epollFd, int index)
    {
        _epollFd = epollFd;
        var thread = new Thread(Run) { IsBackground = true, Name = $"pgproxy epoll {index}" };
        thread.Start();
    }

    /// <summary>
    /// True on x86-64 Linux (the epoll_event layout is declared for it) unless <c>PGPROXY_TRANSPORT=sockets</c>
    /// asks for .NET's own socket engine.
    /// </summary>
    public static bool IsSupported =>
        OperatingSystem.IsLinux() && RuntimeInformation.ProcessArchitecture == Architecture.X64
        && Environment.GetEnvironmentVariable("PGPROXY_TRANSPORT") != "sockets";

    /// <summary>Picks a loop for a new client session, round robin; null when the transport is unavailable.</summary>
    public static EpollLoop? Next()
    {
        var loops = Loops.Value;
        return loops is null ? null : loops[(int)((uint)Interlocked.Increment(ref _nextLoop) % loops.Length)];
    }

    public ulong Register(EpollConnection connection)
    {
        var id = (ulong)Interlocked.Increment(ref _nextId);
        _connections[id] = connection;
        var ev = new EpollNative.EpollEvent
        {
            Events = EpollNative.EpollIn | EpollNative.EpollOut | EpollNative.EpollRdHup | EpollNative.EpollEt,
            Data = id,
        };
        if (EpollNative.EpollCtl(_epollFd, EpollNative.EpollCtlAdd, connection.Fd, ref ev) != 0)
        {
            _connections.TryRemove(id, out _);
            throw new IOException($"epoll_ctl(ADD) failed with errno {Marshal.GetLastPInvokeError()}");
        }

        return id;
    }

    public void Unregister(ulong id, int fd)
    {
        var ev = default(EpollNative.EpollEvent);
        _ = EpollNative.EpollCtl(_epollFd, EpollNative.EpollCtlDel, fd, ref ev);
        _connections.TryRemove(id, out _);
    }

    /// <summary>One loop per core unless <c>PGPROXY_EPOLL_THREADS</c> says otherwise.</summary>
    private static EpollLoop[]? CreateLoops()
    {
        if (!IsSupported)
        {
            return null;
        }

        var count = int.TryParse(Environment.GetEnvironmentVariable("PGPROXY_EPOLL_THREADS"), out var configured)
                    && configured > 0
            ? configured
            : Math.Max(1, Environment.ProcessorCount);
        var loops = new EpollLoop[count];
        for (var i = 0; i < count; i++)
        {
            var fd = EpollNative.EpollCreate1(0x80000); // EPOLL_CLOEXEC
            if (fd < 0)
            {
                return null;
            }

            loops[i] = new EpollLoop(fd, i);
        }

        return loops;
    }

    private void Run()
    {
        var events = new EpollNative.EpollEvent[MaxEvents];
        while (true)
        {
            var count = EpollNative.EpollWait(_epollFd, events, MaxEvents, -1);
            if (count < 0)
            {
                if (Marshal.GetLastPInvokeError() == EpollNative.EIntr)
                {
                    continue;
                }

                Thread.Sleep(10); // should not happen; never spin
                continue;
            }

            for (var i = 0; i < count; i++)
            {
                if (_connections.TryGetValue(events[i].Data, out var connection))
                {
                    try
                    {
                        connection.OnEvents(events[i].Events);
                    }
                    catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException)
                    {
                        // The connection's own read or flush reports its failure; the loop must go on.
                    }
                }
            }
        }
    }
}

using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.InteropServices;
using System.Threading.Tasks.Sources;

namespace Pgproxy.Core.Transport;

/// <summary>
/// The read side of an <see cref="EpollConnection"/>: one buffer of its own, filled by <c>recv</c> only when the
/// socket is known to be readable (an edge from epoll, or a previous receive that filled the free space), so a
/// request/response exchange costs one receive per message. A read that has to wait is completed by the loop
/// thread, which then runs the session's continuation inline.
/// </summary>
internal sealed class EpollPipeReader : PipeReader, IValueTaskSource<ReadResult>
{
    private readonly EpollConnection _connection;
    private readonly Lock _lock = new();
    private ManualResetValueTaskSourceCore<ReadResult> _core;
    private CancellationTokenRegistration _tokenRegistration;
    private readonly ReceiveBuffer _buffer = new();
    private bool _endOfStream;
    private bool _completed;
    private bool _readable = true; // data may have arrived before the socket was registered
    private bool _pending;

    /// <summary>
    /// The peer shut its side (epoll said RDHUP/HUP/ERR). Edge-triggered epoll reports that once, often in the same
    /// event as the last data: a short read must then not be taken as "drained until the next edge", or the
    /// end-of-stream behind the data would never be read and a reader would wait forever.
    /// </summary>
    private bool _peerClosed;
    private bool _cancelRequested;
    private IOException? _error;

    public EpollPipeReader(EpollConnection connection)
    {
        _connection = connection;
    }

    public override ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_completed, this);
            if (_cancelRequested)
            {
                _cancelRequested = false;
                return new ValueTask<ReadResult>(Result(isCanceled: true));
            }

            cancellationToken.ThrowIfCancellationRequested();
            if (_buffer.HasUnexamined || _endOfStream)
            {
                return new ValueTask<ReadResult>(Result(isCanceled: false));
            }

            if (_error is not null)
            {
                throw _error;
            }

            _buffer.MakeRoom();
            if (_readable && TryReceive())
            {
                return _error is null
                    ? new ValueTask<ReadResult>(Result(isCanceled: false))
                    : throw _error;
            }

            _pending = true;
            _core.Reset();
            if (cancellationToken.CanBeCanceled)
            {
                _tokenRegistration = cancellationToken.UnsafeRegister(
                    static (state, token) => ((EpollPipeReader)state!).CompletePending(canceledBy: token), this);
            }

            return new ValueTask<ReadResult>(this, _core.Version);
        }
    }

    /// <summary>Called by the loop thread when epoll reports the socket readable (or closed).</summary>
    public void OnReadable(bool peerClosed)
    {
        lock (_lock)
        {
            _readable = true;
            _peerClosed |= peerClosed;
            if (!_pending || _completed || !TryReceive())
            {
                return;
            }
        }

        CompletePending(canceledBy: null);
    }

    /// <summary>
    /// What has arrived, without waiting: when nothing is buffered yet and the socket may hold data (an edge came, or
    /// the last receive filled the buffer), one non-blocking <c>recv</c> takes it. Without it, bytes the peer sent
    /// while nobody read this socket stay in the kernel until the next ReadAsync: a FATAL that main's terminated
    /// backend sent while a read ran on node 1 went unseen (Npgsql's ConnectionTests.Broken_lifecycle, issue 17).
    /// </summary>
    public override bool TryRead(out ReadResult result)
    {
        lock (_lock)
        {
            if (!_cancelRequested && !_buffer.HasUnexamined && !_endOfStream && _error is null && _readable
                && !_pending && !_completed)
            {
                _buffer.MakeRoom();
                TryReceive(); // an error it meets stays for the next ReadAsync to throw
            }

            if (_cancelRequested || _buffer.HasUnexamined || _endOfStream)
            {
                result = Result(isCanceled: _cancelRequested);
                _cancelRequested = false;
                return true;
            }
        }

        result = default;
        return false;
    }

    public override void AdvanceTo(SequencePosition consumed) => AdvanceTo(consumed, consumed);

    public override void AdvanceTo(SequencePosition consumed, SequencePosition examined)
    {
        lock (_lock)
        {
            _buffer.AdvanceTo(consumed, examined);
        }
    }

    public override void CancelPendingRead()
    {
        lock (_lock)
        {
            if (!_pending)
            {
                _cancelRequested = true;
                return;
            }

            _cancelRequested = true;
        }

        CompletePending(canceledBy: null);
    }

    public override void Complete(Exception? exception = null)
    {
        lock (_lock)
        {
            if (_completed)
            {
                return;
            }

            _completed = true;
            _buffer.Release();
        }

        // A read still waiting (the socket was aborted under it) ends as end-of-stream.
        CompletePending(canceledBy: null);
    }

    public ReadResult GetResult(short token) => _core.GetResult(token);

    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token,
        ValueTaskSourceOnCompletedFlags flags) => _core.OnCompleted(continuation, state, token, flags);

    /// <summary>Completes the waiting read, if any, with what the reader now holds.</summary>
    private void CompletePending(CancellationToken? canceledBy)
    {
        ReadResult result;
        Exception? error;
        lock (_lock)
        {
            if (!_pending)
            {
                return;
            }

            _pending = false;
            error = canceledBy is { } token ? new OperationCanceledException(token) : _error;
            var canceled = _cancelRequested;
            _cancelRequested = false;
            result = error is null ? Result(canceled) : default;
            if (_completed)
            {
                result = new ReadResult(ReadOnlySequence<byte>.Empty, false, true);
            }
        }

        _tokenRegistration.Dispose();
        _tokenRegistration = default;
        if (error is null)
        {
            _core.SetResult(result);
        }
        else
        {
            _core.SetException(error);
        }
    }

    /// <summary>One <c>recv</c> into the free space. True when it produced data, end-of-stream or an error.</summary>
    private bool TryReceive()
    {
        while (true)
        {
            var free = _buffer.Free.Span;
            var received = EpollNative.Recv(_connection.Fd, free, free.Length, 0);
            if (received > 0)
            {
                _buffer.Produced((int)received);
                // Less than asked for: the socket is drained; the next arrival raises a new edge.
                _readable = received == free.Length || _peerClosed;
                return true;
            }

            if (received == 0)
            {
                _endOfStream = true;
                return true;
            }

            var errno = Marshal.GetLastPInvokeError();
            if (errno == EpollNative.EIntr)
            {
                continue;
            }

            if (errno == EpollNative.EAgain)
            {
                _readable = false;
                return false;
            }

            _error = new IOException($"recv failed: {new System.ComponentModel.Win32Exception(errno).Message}");
            return true;
        }
    }

    private ReadResult Result(bool isCanceled) => new(_buffer.Data, isCanceled, _endOfStream);
}

using System.IO.Pipelines;
using System.Runtime.InteropServices;
using System.Threading.Tasks.Sources;

namespace Pgproxy.Core.Transport;

/// <summary>
/// The write side of an <see cref="EpollConnection"/>: writes collect in one pooled buffer and
/// <see cref="FlushAsync"/> sends it with <c>send</c> right away; only when the socket's send buffer is full does
/// the flush wait for epoll to report it writable (that is the backpressure a slow client exerts). The buffer
/// goes back to the pool after each flush, so an idle connection holds none.
/// </summary>
internal sealed class EpollPipeWriter : PipeWriter, IValueTaskSource<FlushResult>
{
    private readonly EpollConnection _connection;
    private readonly Lock _lock = new();
    private ManualResetValueTaskSourceCore<FlushResult> _core;
    private readonly SendBuffer _buffer = new();
    private int _sent;
    private bool _pending;
    private bool _completed;

    public EpollPipeWriter(EpollConnection connection)
    {
        _connection = connection;
    }

    public override bool CanGetUnflushedBytes => true;

    public override long UnflushedBytes => _buffer.Written - _sent;

    public override void Advance(int bytes) => _buffer.Advance(bytes);

    public override Memory<byte> GetMemory(int sizeHint = 0)
    {
        ObjectDisposedException.ThrowIf(_completed, this);
        return _buffer.GetMemory(sizeHint);
    }

    public override Span<byte> GetSpan(int sizeHint = 0) => GetMemory(sizeHint).Span;

    public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_completed, this);
            if (TrySend(out var error))
            {
                return error is null ? new ValueTask<FlushResult>(default(FlushResult)) : throw error;
            }

            _pending = true;
            _core.Reset();
            return new ValueTask<FlushResult>(this, _core.Version);
        }
    }

    /// <summary>Called by the loop thread when epoll reports the socket writable (or closed).</summary>
    public void OnWritable()
    {
        IOException? error;
        lock (_lock)
        {
            if (!_pending || !TrySend(out error))
            {
                return;
            }

            _pending = false;
        }

        if (error is null)
        {
            _core.SetResult(default);
        }
        else
        {
            _core.SetException(error);
        }
    }

    public override void CancelPendingFlush()
    {
        // Sends are not cancelled one by one; aborting the connection ends a stuck flush.
    }

    public override void Complete(Exception? exception = null)
    {
        bool wasPending;
        lock (_lock)
        {
            if (_completed)
            {
                return;
            }

            _completed = true;
            wasPending = _pending;
            _pending = false;
            _buffer.Reset();
            _sent = 0;
        }

        if (wasPending)
        {
            _core.SetException(new IOException("the connection was closed during a send"));
        }
    }

    public FlushResult GetResult(short token) => _core.GetResult(token);

    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token,
        ValueTaskSourceOnCompletedFlags flags) => _core.OnCompleted(continuation, state, token, flags);

    /// <summary>Sends what is buffered. True when done (all sent, or failed with <paramref name="error"/>).</summary>
    private bool TrySend(out IOException? error)
    {
        error = null;
        while (_sent < _buffer.Written)
        {
            var unsent = _buffer.Unsent(_sent).Span;
            var sent = EpollNative.Send(_connection.Fd, unsent, unsent.Length, EpollNative.MsgNoSignal);
            if (sent >= 0)
            {
                _sent += (int)sent;
                continue;
            }

            var errno = Marshal.GetLastPInvokeError();
            if (errno == EpollNative.EIntr)
            {
                continue;
            }

            if (errno == EpollNative.EAgain)
            {
                return false;
            }

            error = new IOException($"send failed: {new System.ComponentModel.Win32Exception(errno).Message}");
            break;
        }

        _sent = 0;
        _buffer.Reset();
        return true;
    }

}

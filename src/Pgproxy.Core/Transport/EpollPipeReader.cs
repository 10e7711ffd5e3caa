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
    private const int InitialSize = 8192;
    private const int MaxKeptSize = 64 * 1024;

    private readonly EpollConnection _connection;
    private readonly Lock _lock = new();
    private ManualResetValueTaskSourceCore<ReadResult> _core;
    private CancellationTokenRegistration _tokenRegistration;
    private byte[] _buffer = [];
    private int _start;
    private int _end;
    private int _examined;
    private bool _endOfStream;
    private bool _completed;
    private bool _readable = true; // data may have arrived before the socket was registered
    private bool _pending;
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
            if (_end > _examined || _endOfStream)
            {
                return new ValueTask<ReadResult>(Result(isCanceled: false));
            }

            if (_error is not null)
            {
                throw _error;
            }

            MakeRoom();
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
    public void OnReadable()
    {
        lock (_lock)
        {
            _readable = true;
            if (!_pending || _completed || !TryReceive())
            {
                return;
            }
        }

        CompletePending(canceledBy: null);
    }

    public override bool TryRead(out ReadResult result)
    {
        lock (_lock)
        {
            if (_cancelRequested || _end > _examined || _endOfStream)
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
            var consumedIndex = IndexOf(consumed);
            var examinedIndex = IndexOf(examined);
            if (consumedIndex < _start || consumedIndex > _end || examinedIndex < consumedIndex || examinedIndex > _end)
            {
                throw new InvalidOperationException("AdvanceTo was given a position outside the last read's buffer");
            }

            _start = consumedIndex;
            _examined = examinedIndex;
            if (_start == _end)
            {
                _start = _end = _examined = 0;
                if (_buffer.Length > MaxKeptSize)
                {
                    ArrayPool<byte>.Shared.Return(_buffer);
                    _buffer = [];
                }
            }
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
            if (_buffer.Length > 0)
            {
                ArrayPool<byte>.Shared.Return(_buffer);
                _buffer = [];
                _start = _end = _examined = 0;
            }
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
            var space = _buffer.Length - _end;
            var received = EpollNative.Recv(_connection.Fd, _buffer.AsSpan(_end), space, 0);
            if (received > 0)
            {
                _end += (int)received;
                // Less than asked for: the socket is drained; the next arrival raises a new edge.
                _readable = received == space;
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

    private ReadResult Result(bool isCanceled) =>
        new(new ReadOnlySequence<byte>(_buffer, _start, _end - _start), isCanceled, _endOfStream);

    private void MakeRoom()
    {
        if (_buffer.Length == 0)
        {
            _buffer = ArrayPool<byte>.Shared.Rent(InitialSize);
            return;
        }

        if (_end < _buffer.Length)
        {
            return;
        }

        var length = _end - _start;
        var target = length == _buffer.Length ? ArrayPool<byte>.Shared.Rent(_buffer.Length * 2) : _buffer;
        Buffer.BlockCopy(_buffer, _start, target, 0, length);
        if (!ReferenceEquals(target, _buffer))
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = target;
        }

        _examined -= _start;
        _start = 0;
        _end = length;
    }

    private int IndexOf(SequencePosition position)
    {
        if (position.GetObject() is not null && !ReferenceEquals(position.GetObject(), _buffer))
        {
            throw new InvalidOperationException("AdvanceTo was given a position from another buffer");
        }

        return position.GetInteger() & int.MaxValue;
    }
}

using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Runtime.CompilerServices;

namespace Pgproxy.Core.Sessions;

/// <summary>
/// A <see cref="PipeReader"/> that receives straight from a socket into one buffer of its own. It replaces
/// <c>PipeReader.Create(new NetworkStream(socket))</c> on the hot path: no stream layer, no segment chain, no
/// buffer rented and returned per read, and a read whose bytes are already here completes without an async
/// state machine. The buffer only grows when a caller waits for a message bigger than it (pgproxy streams big
/// messages, so that is rare) and goes back to the pool when the reader completes.
/// </summary>
[SuppressMessage("Reliability", "CA1001", Justification =
    "The token source has no timer and no linked registrations, so there is nothing to release; disposing it " +
    "would race with CancelPendingRead called from another thread after Complete.")]
internal sealed class SocketPipeReader : PipeReader
{
    private const int InitialSize = 8192;
    private const int MaxKeptSize = 64 * 1024;

    private readonly Socket _socket;
    private byte[] _buffer = [];
    private int _start;
    private int _end;
    private int _examined;
    private bool _endOfStream;
    private bool _completed;
    private volatile bool _cancelRequested;

    /// <summary>Cancels the pending receive for <see cref="CancelPendingRead"/>; replaced once it has fired.</summary>
    private CancellationTokenSource _cancel = new();

    public SocketPipeReader(Socket socket)
    {
        _socket = socket;
    }

    public override ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_completed, this);
        if (_cancelRequested || _cancel.IsCancellationRequested)
        {
            return new ValueTask<ReadResult>(Canceled());
        }

        if (_end > _examined || _endOfStream)
        {
            return new ValueTask<ReadResult>(Result(isCanceled: false));
        }

        MakeRoom();
        if (cancellationToken.CanBeCanceled)
        {
            return ReceiveWithCallerTokenAsync(cancellationToken); // cold paths: startup, reset
        }

        ValueTask<int> receive;
        try
        {
            receive = _socket.ReceiveAsync(_buffer.AsMemory(_end), SocketFlags.None, _cancel.Token);
        }
        catch (SocketException e)
        {
            throw new IOException(e.Message, e);
        }

        if (receive.IsCompletedSuccessfully)
        {
            return new ValueTask<ReadResult>(Received(receive.Result));
        }

        return AwaitReceiveAsync(receive, CancellationToken.None);
    }

    public override bool TryRead(out ReadResult result)
    {
        if (_cancelRequested || _cancel.IsCancellationRequested)
        {
            result = Canceled();
            return true;
        }

        if (_end > _examined || _endOfStream)
        {
            result = Result(isCanceled: false);
            return true;
        }

        result = default;
        return false;
    }

    public override void AdvanceTo(SequencePosition consumed) => AdvanceTo(consumed, consumed);

    public override void AdvanceTo(SequencePosition consumed, SequencePosition examined)
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
                // A big message came through once; don't keep its buffer for the connection's lifetime.
                ArrayPool<byte>.Shared.Return(_buffer);
                _buffer = [];
            }
        }
    }

    public override void CancelPendingRead()
    {
        _cancelRequested = true;
        _cancel.Cancel();
    }

    public override void Complete(Exception? exception = null)
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
        }

    }

    private async ValueTask<ReadResult> ReceiveWithCallerTokenAsync(CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(_cancel.Token, cancellationToken);
        ValueTask<int> receive;
        try
        {
            receive = _socket.ReceiveAsync(_buffer.AsMemory(_end), SocketFlags.None, linked.Token);
        }
        catch (SocketException e)
        {
            throw new IOException(e.Message, e);
        }

        return await AwaitReceiveAsync(receive, cancellationToken);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<ReadResult> AwaitReceiveAsync(ValueTask<int> receive, CancellationToken cancellationToken)
    {
        try
        {
            return Received(await receive);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // CancelPendingRead: report it as a canceled read, as Pipe does, with whatever is buffered.
            return Canceled();
        }
        catch (SocketException e)
        {
            throw new IOException(e.Message, e);
        }
    }

    /// <summary>Consumes a CancelPendingRead and arms a fresh token for the next one.</summary>
    private ReadResult Canceled()
    {
        _cancelRequested = false;
        if (_cancel.IsCancellationRequested)
        {
            _cancel = new CancellationTokenSource();
        }

        return Result(isCanceled: true);
    }

    private ReadResult Received(int count)
    {
        if (count == 0)
        {
            _endOfStream = true;
        }

        _end += count;
        return Result(isCanceled: false);
    }

    private ReadResult Result(bool isCanceled) =>
        new(new ReadOnlySequence<byte>(_buffer, _start, _end - _start), isCanceled, _endOfStream);

    /// <summary>Makes space after the data: slide it to the front, or grow when it fills the whole buffer.</summary>
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

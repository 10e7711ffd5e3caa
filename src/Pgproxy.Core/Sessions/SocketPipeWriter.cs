using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Runtime.CompilerServices;

namespace Pgproxy.Core.Sessions;

/// <summary>
/// A <see cref="PipeWriter"/> that collects writes in one pooled buffer and sends it to the socket on
/// <see cref="FlushAsync"/>: the session decides when to flush, so a response burst goes out in one send.
/// A flush that the socket takes at once completes without an async state machine. The buffer goes back to
/// the pool after each flush, so an idle connection holds none.
/// </summary>
internal sealed class SocketPipeWriter : PipeWriter
{
    private const int MinimumSize = 4096;

    private readonly Socket _socket;
    private byte[]? _buffer;
    private int _written;
    private bool _completed;

    public SocketPipeWriter(Socket socket)
    {
        _socket = socket;
    }

    public override bool CanGetUnflushedBytes => true;

    public override long UnflushedBytes => _written;

    public override void Advance(int bytes)
    {
        if (bytes < 0 || _buffer is null || _written + bytes > _buffer.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(bytes));
        }

        _written += bytes;
    }

    public override Memory<byte> GetMemory(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsMemory(_written);
    }

    public override Span<byte> GetSpan(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsSpan(_written);
    }

    public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_completed, this);
        if (_written == 0)
        {
            return new ValueTask<FlushResult>(default(FlushResult));
        }

        ValueTask<int> send;
        try
        {
            send = _socket.SendAsync(_buffer.AsMemory(0, _written), SocketFlags.None, cancellationToken);
        }
        catch (SocketException e)
        {
            throw new IOException(e.Message, e);
        }

        if (send.IsCompletedSuccessfully)
        {
            Sent();
            return new ValueTask<FlushResult>(default(FlushResult));
        }

        return AwaitSendAsync(send);
    }

    public override void CancelPendingFlush()
    {
        // Sends are not cancelled individually; aborting the socket ends a stuck flush.
    }

    public override void Complete(Exception? exception = null)
    {
        if (_completed)
        {
            return;
        }

        _completed = true;
        ReturnBuffer();
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<FlushResult> AwaitSendAsync(ValueTask<int> send)
    {
        try
        {
            await send;
        }
        catch (SocketException e)
        {
            throw new IOException(e.Message, e);
        }

        Sent();
        return default;
    }

    private void Sent()
    {
        _written = 0;
        ReturnBuffer();
    }

    private void ReturnBuffer()
    {
        if (_buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = null;
        }
    }

    private void Ensure(int sizeHint)
    {
        ObjectDisposedException.ThrowIf(_completed, this);
        var needed = _written + Math.Max(sizeHint, 1);
        if (_buffer is not null && needed <= _buffer.Length)
        {
            return;
        }

        var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(needed, Math.Max(MinimumSize, (_buffer?.Length ?? 0) * 2)));
        if (_buffer is not null)
        {
            Buffer.BlockCopy(_buffer, 0, bigger, 0, _written);
            ArrayPool<byte>.Shared.Return(_buffer);
        }

        _buffer = bigger;
    }
}

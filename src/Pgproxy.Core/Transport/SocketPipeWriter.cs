using System.IO.Pipelines;
using System.Net.Sockets;
using System.Runtime.CompilerServices;

namespace Pgproxy.Core.Transport;

/// <summary>
/// A <see cref="PipeWriter"/> that sends to a socket through .NET's socket engine on <see cref="FlushAsync"/>
/// (the session decides when to flush, so a response burst goes out in one send). A flush the socket takes at
/// once completes without an async state machine.
/// </summary>
internal sealed class SocketPipeWriter : PipeWriter
{
    private readonly Socket _socket;
    private readonly SendBuffer _buffer = new();
    private bool _completed;

    public SocketPipeWriter(Socket socket)
    {
        _socket = socket;
    }

    public override bool CanGetUnflushedBytes => true;

    public override long UnflushedBytes => _buffer.Written;

    public override void Advance(int bytes) => _buffer.Advance(bytes);

    public override Memory<byte> GetMemory(int sizeHint = 0)
    {
        ObjectDisposedException.ThrowIf(_completed, this);
        return _buffer.GetMemory(sizeHint);
    }

    public override Span<byte> GetSpan(int sizeHint = 0) => GetMemory(sizeHint).Span;

    public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_completed, this);
        if (_buffer.Written == 0)
        {
            return new ValueTask<FlushResult>(default(FlushResult));
        }

        ValueTask<int> send;
        try
        {
            send = _socket.SendAsync(_buffer.Unsent(0), SocketFlags.None, cancellationToken);
        }
        catch (SocketException e)
        {
            throw new IOException(e.Message, e);
        }

        if (send.IsCompletedSuccessfully)
        {
            _buffer.Reset();
            return new ValueTask<FlushResult>(default(FlushResult));
        }

        return AwaitSendAsync(send);
    }

    public override void CancelPendingFlush()
    {
        // Sends are not cancelled one by one; aborting the socket ends a stuck flush.
    }

    public override void Complete(Exception? exception = null)
    {
        if (!_completed)
        {
            _completed = true;
            _buffer.Reset();
        }
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

        _buffer.Reset();
        return default;
    }
}

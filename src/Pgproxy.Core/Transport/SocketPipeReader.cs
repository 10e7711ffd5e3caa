using System.Diagnostics.CodeAnalysis;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Runtime.CompilerServices;

namespace Pgproxy.Core.Transport;

/// <summary>
/// A <see cref="PipeReader"/> that receives straight from a socket through .NET's socket engine, the transport
/// where pgproxy's epoll loops are not available. It replaces <c>PipeReader.Create(new NetworkStream(socket))</c>:
/// no stream layer, no segment chain, and a read whose bytes are already here completes without an async state
/// machine.
/// </summary>
[SuppressMessage("Reliability", "CA1001", Justification =
    "The token source has no timer and no linked registrations, so there is nothing to release; disposing it " +
    "would race with CancelPendingRead called from another thread after Complete.")]
internal sealed class SocketPipeReader : PipeReader
{
    private readonly Socket _socket;
    private readonly ReceiveBuffer _buffer = new();
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

        if (_buffer.HasUnexamined || _endOfStream)
        {
            return new ValueTask<ReadResult>(Result(isCanceled: false));
        }

        _buffer.MakeRoom();
        if (cancellationToken.CanBeCanceled)
        {
            return ReceiveWithCallerTokenAsync(cancellationToken); // cold paths: startup, reset
        }

        ValueTask<int> receive;
        try
        {
            receive = _socket.ReceiveAsync(_buffer.Free, SocketFlags.None, _cancel.Token);
        }
        catch (SocketException e)
        {
            throw new IOException(e.Message, e);
        }

        return receive.IsCompletedSuccessfully
            ? new ValueTask<ReadResult>(Received(receive.Result))
            : AwaitReceiveAsync(receive, CancellationToken.None);
    }

    /// <summary>
    /// What has arrived, without waiting: bytes still in the kernel are taken with one receive that cannot block
    /// (as <see cref="EpollPipeReader.TryRead"/> does), so a FATAL sent while nobody read this socket is seen.
    /// </summary>
    public override bool TryRead(out ReadResult result)
    {
        if (_cancelRequested || _cancel.IsCancellationRequested)
        {
            result = Canceled();
            return true;
        }

        if (!_buffer.HasUnexamined && !_endOfStream && !_completed)
        {
            try
            {
                if (_socket.Available > 0)
                {
                    _buffer.MakeRoom();
                    Received(_socket.Receive(_buffer.Free.Span, SocketFlags.None));
                }
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                // The next ReadAsync meets the failure and reports it as the connection's loss.
            }
        }

        if (_buffer.HasUnexamined || _endOfStream)
        {
            result = Result(isCanceled: false);
            return true;
        }

        result = default;
        return false;
    }

    public override void AdvanceTo(SequencePosition consumed) => _buffer.AdvanceTo(consumed, consumed);

    public override void AdvanceTo(SequencePosition consumed, SequencePosition examined) =>
        _buffer.AdvanceTo(consumed, examined);

    public override void CancelPendingRead()
    {
        _cancelRequested = true;
        _cancel.Cancel();
    }

    public override void Complete(Exception? exception = null)
    {
        if (!_completed)
        {
            _completed = true;
            _buffer.Release();
        }
    }

    private async ValueTask<ReadResult> ReceiveWithCallerTokenAsync(CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(_cancel.Token, cancellationToken);
        ValueTask<int> receive;
        try
        {
            receive = _socket.ReceiveAsync(_buffer.Free, SocketFlags.None, linked.Token);
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

        _buffer.Produced(count);
        return Result(isCanceled: false);
    }

    private ReadResult Result(bool isCanceled) => new(_buffer.Data, isCanceled, _endOfStream);
}

using System.IO.Pipelines;

namespace Pgproxy.TestUtilities.Scripted;

/// <summary>
/// pgproxy's writer to one scripted node: passes everything through and, at each flush, reports the whole messages
/// flushed. Recording at the flush, on pgproxy's own thread, gives the order in which pgproxy sent messages to
/// different nodes — the order the nodes' own tasks read them in is up to the thread pool.
/// </summary>
internal sealed class RecordingPipeWriter(PipeWriter inner, Action<byte[]> onSent) : PipeWriter
{
    private readonly List<byte> _unflushed = [];
    private Memory<byte> _lastBuffer;

    /// <summary>The startup packet has no type byte: it is passed through unrecorded.</summary>
    private bool _startupSeen;

    public override bool CanGetUnflushedBytes => inner.CanGetUnflushedBytes;

    public override long UnflushedBytes => inner.UnflushedBytes;

    public override void Advance(int bytes)
    {
        _unflushed.AddRange(_lastBuffer.Span[..bytes]);
        inner.Advance(bytes);
    }

    public override Memory<byte> GetMemory(int sizeHint = 0) => _lastBuffer = inner.GetMemory(sizeHint);

    public override Span<byte> GetSpan(int sizeHint = 0) => GetMemory(sizeHint).Span;

    public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
    {
        if (!_startupSeen && _unflushed.Count >= 4)
        {
            _startupSeen = true;
            var length = (_unflushed[0] << 24) | (_unflushed[1] << 16) | (_unflushed[2] << 8) | _unflushed[3];
            _unflushed.RemoveRange(0, Math.Min(length, _unflushed.Count));
        }

        foreach (var frame in SentFrame.SplitFrames(_unflushed))
        {
            onSent(frame);
        }

        return inner.FlushAsync(cancellationToken);
    }

    public override void CancelPendingFlush() => inner.CancelPendingFlush();

    public override void Complete(Exception? exception = null) => inner.Complete(exception);
}

using System.Buffers;
using System.IO.Pipelines;

namespace Pgproxy.Core.Transport;

/// <summary>Copies bytes from a read buffer into a write buffer without decoding or allocating.</summary>
internal static class FrameCopy
{
    /// <summary>
    /// Passes on the next piece of a message that is being streamed (its header already went out): at most
    /// <paramref name="maxPiece"/> bytes of what is buffered. Returns false when nothing is buffered yet.
    /// </summary>
    public static bool CopyRemainder(ref ReadOnlySequence<byte> buffer, ref long remaining, PipeWriter destination,
        long maxPiece)
    {
        var piece = Math.Min(remaining, Math.Min(buffer.Length, maxPiece));
        if (piece == 0)
        {
            return false;
        }

        Copy(buffer.Slice(0, piece), destination);
        buffer = buffer.Slice(piece);
        remaining -= piece;
        return true;
    }

    public static void Copy(in ReadOnlySequence<byte> source, IBufferWriter<byte> destination)
    {
        if (source.IsSingleSegment)
        {
            destination.Write(source.FirstSpan);
            return;
        }

        foreach (var segment in source)
        {
            destination.Write(segment.Span);
        }
    }
}

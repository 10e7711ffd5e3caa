using System.Buffers;
using System.IO.Pipelines;

namespace Pgproxy.Core.Sessions;

/// <summary>Copies bytes from a read buffer into a write buffer without decoding or allocating.</summary>
internal static class FrameCopy
{
    public static void Copy(in ReadOnlySequence<byte> source, PipeWriter destination)
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

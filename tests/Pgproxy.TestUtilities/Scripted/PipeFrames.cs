using System.Buffers;
using System.IO.Pipelines;
using Pgproxy.Protocol.Framing;

namespace Pgproxy.TestUtilities.Scripted;

/// <summary>
/// Reads whole typed frames from a pipe, consuming a large frame piece by piece so that the writer's back-pressure
/// never deadlocks a multi-megabyte message.
/// </summary>
internal static class PipeFrames
{
    /// <summary>Returns the next whole frame (type byte included), or null at end of stream.</summary>
    public static async ValueTask<byte[]?> ReadFrameAsync(PipeReader reader, CancellationToken cancellationToken)
    {
        byte[]? frame = null;
        var filled = 0;
        while (true)
        {
            var result = await reader.ReadAsync(cancellationToken);
            var buffer = result.Buffer;
            if (frame is null && FrameReader.TryReadHeader(buffer, out var header))
            {
                frame = new byte[header.TotalLength];
            }

            if (frame is null)
            {
                reader.AdvanceTo(buffer.Start, buffer.End);
            }
            else
            {
                var take = (int)Math.Min(frame.Length - filled, buffer.Length);
                buffer.Slice(0, take).CopyTo(frame.AsSpan(filled));
                filled += take;
                reader.AdvanceTo(buffer.GetPosition(take));
                if (filled == frame.Length)
                {
                    return frame;
                }
            }

            if (result.IsCompleted || result.IsCanceled)
            {
                return null;
            }
        }
    }

    /// <summary>True when more bytes are already buffered (the peer pipelined more than one message).</summary>
    public static bool HasBufferedBytes(PipeReader reader)
    {
        if (!reader.TryRead(out var result))
        {
            return false;
        }

        var any = !result.Buffer.IsEmpty;
        reader.AdvanceTo(result.Buffer.Start);
        return any;
    }
}

using System.Buffers;
using System.IO.Pipelines;
using Pgproxy.Protocol.Framing;

namespace Pgproxy.TestUtilities.Scripted;

/// <summary>
/// Reads whole typed frames from a pipe, consuming a large frame piece by piece so that the writer's back-pressure
/// never deadlocks a multi-megabyte message. The frame grows as its bytes arrive, so a hostile declared length
/// (the fuzzer sends 1 GiB ones) costs only what was really sent.
/// </summary>
internal static class PipeFrames
{
    private const int InitialFrameBytes = 64 * 1024;

    /// <summary>Returns the next whole frame (type byte included), or null at end of stream.</summary>
    public static async ValueTask<byte[]?> ReadFrameAsync(PipeReader reader, CancellationToken cancellationToken)
    {
        byte[]? frame = null;
        var total = 0;
        var filled = 0;
        while (true)
        {
            var result = await reader.ReadAsync(cancellationToken);
            var buffer = result.Buffer;
            if (frame is null && FrameReader.TryReadHeader(buffer, out var header))
            {
                total = header.TotalLength;
                frame = new byte[Math.Min(total, InitialFrameBytes)];
            }

            if (frame is null)
            {
                reader.AdvanceTo(buffer.Start, buffer.End);
            }
            else
            {
                var taken = 0L;
                while (filled < total && taken < buffer.Length)
                {
                    if (filled == frame.Length)
                    {
                        Array.Resize(ref frame, (int)Math.Min(total, frame.Length * 2L));
                    }

                    var take = (int)Math.Min(frame.Length - filled, buffer.Length - taken);
                    buffer.Slice(taken, take).CopyTo(frame.AsSpan(filled));
                    filled += take;
                    taken += take;
                }

                reader.AdvanceTo(buffer.GetPosition(taken));
                if (filled == total)
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

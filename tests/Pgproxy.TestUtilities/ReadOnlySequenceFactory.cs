using System.Buffers;

namespace Pgproxy.TestUtilities;

/// <summary>
/// Builds multi-segment <see cref="ReadOnlySequence{T}"/>s so parsers are tested at every segment boundary a pipe
/// could produce (aspnetcore's Buffers.Testing ReadOnlySequenceFactory).
/// </summary>
public static class ReadOnlySequenceFactory
{
    /// <summary>Every byte in its own segment: the worst case for a parser's slow path.</summary>
    public static ReadOnlySequence<byte> OneBytePerSegment(byte[] data)
    {
        ArgumentNullException.ThrowIfNull(data);
        int[] splits = Enumerable.Range(1, Math.Max(0, data.Length - 1)).ToArray();
        return Create(data, splits);
    }

    /// <summary>
    /// Splits <paramref name="data"/> before each offset in <paramref name="splits"/> (ascending, within 0..length).
    /// Each segment gets its own array so nothing can read across a boundary by accident.
    /// </summary>
    public static ReadOnlySequence<byte> Create(byte[] data, params int[] splits)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(splits);
        if (splits.Length == 0)
        {
            return new ReadOnlySequence<byte>(data.ToArray());
        }

        Segment? first = null;
        Segment? last = null;
        int start = 0;
        foreach (int end in splits.Append(data.Length))
        {
            if (end < start || end > data.Length)
            {
                throw new ArgumentException("Split offsets must be ascending and within the data.", nameof(splits));
            }

            var segment = new Segment(data.AsSpan(start, end - start).ToArray());
            if (last is null)
            {
                first = segment;
            }
            else
            {
                last.Append(segment);
            }

            last = segment;
            start = end;
        }

        return new ReadOnlySequence<byte>(first!, 0, last!, last!.Memory.Length);
    }

    /// <summary>The data split in two at every offset from 0 to its length (including empty halves).</summary>
    public static IEnumerable<ReadOnlySequence<byte>> AllSplits(byte[] data)
    {
        ArgumentNullException.ThrowIfNull(data);
        for (int split = 0; split <= data.Length; split++)
        {
            yield return Create(data, split);
        }
    }

    /// <summary>Single segment, one byte per segment, and every two-way split: all the shapes a test should
    /// see.</summary>
    public static IEnumerable<ReadOnlySequence<byte>> AllShapes(byte[] data)
    {
        yield return new ReadOnlySequence<byte>(data);
        yield return OneBytePerSegment(data);
        foreach (ReadOnlySequence<byte> split in AllSplits(data))
        {
            yield return split;
        }
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory)
        {
            Memory = memory;
        }

        public void Append(Segment next)
        {
            next.RunningIndex = RunningIndex + Memory.Length;
            Next = next;
        }
    }
}

using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using Pgproxy.Protocol.Framing;

namespace Pgproxy.Core.Replication;

/// <summary>The bodies of whole messages, and the values pgproxy reads from a DataRow.</summary>
internal sealed partial class ReplyReader
{
    /// <summary>The body of a complete message, copied into <paramref name="scratch"/> when it fits.</summary>
    public static ReadOnlySpan<byte> Body(in ReadOnlySequence<byte> buffer, in FrameHeader header, Span<byte> scratch)
    {
        var body = buffer.Slice(5, header.TotalLength - 5);
        if (body.IsSingleSegment)
        {
            return body.FirstSpan;
        }

        if (body.Length <= scratch.Length)
        {
            body.CopyTo(scratch);
            return scratch[..(int)body.Length];
        }

        return body.ToArray();
    }

    public static string? ReadFirstColumn(ReadOnlySpan<byte> dataRow) => ReadColumn(dataRow, 0);

    /// <summary>Column <paramref name="index"/> of a DataRow as text, or null (NULL, fewer columns, or cut short).</summary>
    private static string? ReadColumn(ReadOnlySpan<byte> dataRow, int index)
    {
        if (dataRow.Length < 2 || BinaryPrimitives.ReadInt16BigEndian(dataRow) <= index)
        {
            return null;
        }

        var at = 2;
        for (var column = 0; ; column++)
        {
            if (at + 4 > dataRow.Length)
            {
                return null;
            }

            var length = BinaryPrimitives.ReadInt32BigEndian(dataRow[at..]);
            at += 4;
            if (column == index)
            {
                return length < 0 || at + length > dataRow.Length
                    ? null
                    : Encoding.UTF8.GetString(dataRow.Slice(at, length));
            }

            at += Math.Max(length, 0);
        }
    }
}

using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Pgproxy.Protocol.Writing;

/// <summary>
/// A cursor over a span obtained from an <see cref="IBufferWriter{T}"/> for one message whose length the caller
/// computed up front, so each message costs one GetSpan and one Advance. Integers are big-endian, as on the wire.
/// </summary>
internal ref struct SpanWriter
{
    private readonly Span<byte> _span;
    private int _position;

    private SpanWriter(Span<byte> span)
    {
        _span = span;
        _position = 0;
    }

    /// <summary>Starts a typed message: writes the type byte and the length field (which counts itself).</summary>
    public static SpanWriter BeginMessage(IBufferWriter<byte> writer, byte type, int length)
    {
        var cursor = new SpanWriter(writer.GetSpan(length + 1)[..(length + 1)]);
        cursor.WriteByte(type);
        cursor.WriteInt32(length);
        return cursor;
    }

    /// <summary>Starts an untyped packet (startup, cancel): writes only the length field.</summary>
    public static SpanWriter BeginUntyped(IBufferWriter<byte> writer, int length)
    {
        var cursor = new SpanWriter(writer.GetSpan(length)[..length]);
        cursor.WriteInt32(length);
        return cursor;
    }

    /// <summary>Bytes a NUL-terminated UTF-8 string occupies; strings containing NUL cannot be framed.</summary>
    public static int CStringLength(string value)
    {
        if (value.Contains('\0', StringComparison.Ordinal))
        {
            throw new ArgumentException("A protocol string cannot contain a NUL character.", nameof(value));
        }

        return Encoding.UTF8.GetByteCount(value) + 1;
    }

    public void WriteByte(byte value) => _span[_position++] = value;

    public void WriteInt16(short value)
    {
        BinaryPrimitives.WriteInt16BigEndian(_span[_position..], value);
        _position += 2;
    }

    public void WriteInt32(int value)
    {
        BinaryPrimitives.WriteInt32BigEndian(_span[_position..], value);
        _position += 4;
    }

    public void WriteBytes(ReadOnlySpan<byte> value)
    {
        value.CopyTo(_span[_position..]);
        _position += value.Length;
    }

    /// <summary>Writes UTF-8 bytes without a terminator and returns how many.</summary>
    public int WriteUtf8(string value)
    {
        int written = Encoding.UTF8.GetBytes(value, _span[_position..]);
        _position += written;
        return written;
    }

    public void WriteCString(string value)
    {
        WriteUtf8(value);
        WriteByte(0);
    }

    /// <summary>Commits the message; asserts the computed length matched what was written.</summary>
    public readonly void Complete(IBufferWriter<byte> writer)
    {
        if (_position != _span.Length)
        {
            throw new InvalidOperationException(
                $"Message length miscomputed: wrote {_position} bytes, reserved {_span.Length}.");
        }

        writer.Advance(_position);
    }
}

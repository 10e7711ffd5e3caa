using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace Pgproxy.TestUtilities;

/// <summary>
/// Writes expected protocol bytes by hand in tests, field by field as the PostgreSQL "Message Formats" page lists
/// them, independently of the production writers: <c>new WireBytes().Byte('Z').Int32(5).Byte('I').ToArray()</c>.
/// </summary>
[SuppressMessage("Naming", "CA1720:Identifier contains type name",
    Justification = "Int16/Int32 are the field type names of the PostgreSQL protocol documentation.")]
public sealed class WireBytes
{
    private readonly List<byte> _bytes = [];

    public WireBytes Byte(char value) => Byte(checked((byte)value));

    public WireBytes Byte(byte value)
    {
        _bytes.Add(value);
        return this;
    }

    public WireBytes Int16(short value)
    {
        Span<byte> buffer = stackalloc byte[2];
        BinaryPrimitives.WriteInt16BigEndian(buffer, value);
        _bytes.AddRange(buffer);
        return this;
    }

    public WireBytes Int32(int value)
    {
        Span<byte> buffer = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(buffer, value);
        _bytes.AddRange(buffer);
        return this;
    }

    public WireBytes Bytes(params byte[] value)
    {
        _bytes.AddRange(value);
        return this;
    }

    /// <summary>UTF-8 text without a terminator.</summary>
    public WireBytes Text(string value)
    {
        _bytes.AddRange(Encoding.UTF8.GetBytes(value));
        return this;
    }

    /// <summary>UTF-8 text followed by a NUL (the protocol's String type).</summary>
    public WireBytes CString(string value) => Text(value).Byte(0);

    public int Length => _bytes.Count;

    public byte[] ToArray() => [.. _bytes];
}

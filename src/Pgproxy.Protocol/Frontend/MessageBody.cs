using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using Pgproxy.Protocol.Framing;

namespace Pgproxy.Protocol.Frontend;

/// <summary>
/// A cursor over one message body with PostgreSQL's pq_getmsg* rules: every read checks what is left, and a read
/// past the end is a protocol violation naming the message, never an index exception.
/// </summary>
internal ref struct MessageBody(ReadOnlySpan<byte> body, string messageName)
{
    private readonly ReadOnlySpan<byte> _body = body;
    private int _offset;

    public readonly int Offset => _offset;

    public ReadOnlySpan<byte> CString() => CStringReader.ReadBytes(_body, ref _offset, messageName);

    public byte Byte()
    {
        Require(1);
        return _body[_offset++];
    }

    public short Int16()
    {
        Require(2);
        var value = BinaryPrimitives.ReadInt16BigEndian(_body[_offset..]);
        _offset += 2;
        return value;
    }

    public int Int32()
    {
        Require(4);
        var value = BinaryPrimitives.ReadInt32BigEndian(_body[_offset..]);
        _offset += 4;
        return value;
    }

    /// <summary>The next <paramref name="count"/> bytes (count ≥ 0, checked against what is left).</summary>
    public ReadOnlySpan<byte> Bytes(int count)
    {
        if (count < 0)
        {
            ThrowInsufficient();
        }

        Require(count);
        var value = _body.Slice(_offset, count);
        _offset += count;
        return value;
    }

    /// <summary>pq_getmsgend: the whole body must have been read.</summary>
    public readonly void End() => CStringReader.RequireEnd(_body, _offset, messageName);

    private readonly void Require(int count)
    {
        if (_body.Length - _offset < count)
        {
            ThrowInsufficient();
        }
    }

    [DoesNotReturn]
    private readonly void ThrowInsufficient() => ProtocolViolationException.Throw(
        ProtocolViolationReason.MalformedMessage, $"insufficient data left in message {messageName}");
}

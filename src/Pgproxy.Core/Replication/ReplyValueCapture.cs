using System.Buffers.Binary;
using Pgproxy.Protocol.Messages;

namespace Pgproxy.Core.Replication;

/// <summary>
/// The first value of one node's answer (its first DataRow's first column, or a FunctionCallResponse's result),
/// kept as the answer passes on to the client: the OID main picked for a large object, which the other nodes
/// are then given (<see cref="LargeObjectRewrite"/>). Armed for one node and one write at a time.
/// </summary>
internal sealed class ReplyValueCapture
{
    /// <summary>The node whose answer is watched; null when nothing is.</summary>
    public NodeLink? From { get; private set; }

    private byte[]? _value;

    private bool _seen;

    public void Arm(NodeLink link)
    {
        From = link;
        _value = null;
        _seen = false;
    }

    /// <summary>The value seen (null when none, or SQL NULL), and stops watching.</summary>
    public byte[]? Take()
    {
        var value = _value;
        From = null;
        _value = null;
        _seen = false;
        return value;
    }

    /// <summary>A whole DataRow or FunctionCallResponse body of the watched node: its first value is kept.</summary>
    public void Note(BackendMessageType type, ReadOnlySpan<byte> body)
    {
        if (_seen)
        {
            return;
        }

        _seen = true;
        var at = type == BackendMessageType.DataRow ? 2 : 0;
        if (type == BackendMessageType.DataRow && (body.Length < 2 || BinaryPrimitives.ReadInt16BigEndian(body) < 1))
        {
            return;
        }

        if (body.Length < at + 4)
        {
            return;
        }

        var length = BinaryPrimitives.ReadInt32BigEndian(body[at..]);
        _value = length >= 0 && at + 4 + length <= body.Length ? body.Slice(at + 4, length).ToArray() : null;
    }

    /// <summary>An OID as a value in text or binary format; null when it is not one.</summary>
    public static uint? ReadOid(byte[]? value, bool binary)
    {
        if (value is null)
        {
            return null;
        }

        if (binary)
        {
            return value.Length == 4 ? BinaryPrimitives.ReadUInt32BigEndian(value) : null;
        }

        return uint.TryParse(value, System.Globalization.NumberStyles.None,
            System.Globalization.CultureInfo.InvariantCulture, out var oid) ? oid : null;
    }
}

using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace Pgproxy.Core.Replication;

/// <summary>
/// The Bind of an extended-protocol statement whose OID parameter asks the server to pick a large object's OID
/// (Npgsql's <c>SELECT * FROM lo_create($1)</c> with 0): the others get the Bind with main's OID in that parameter,
/// once main has answered (<see cref="ReplyValueCapture"/>).
/// </summary>
internal sealed class LargeObjectBind
{
    private readonly byte[] _bind;
    private readonly int _valueAt;
    private readonly int _valueLength;
    private readonly bool _binaryParameter;

    private LargeObjectBind(GroupFrame frame, byte[] bind, int valueAt, int valueLength, bool binaryParameter,
        bool binaryResult)
    {
        Frame = frame;
        _bind = bind;
        _valueAt = valueAt;
        _valueLength = valueLength;
        _binaryParameter = binaryParameter;
        BinaryResult = binaryResult;
    }

    /// <summary>The group's Bind message this replaces for the others.</summary>
    public GroupFrame Frame { get; }

    /// <summary>The OID comes back in binary format.</summary>
    public bool BinaryResult { get; }

    /// <summary>The others' Bind, with main's OID; null until main answered with one.</summary>
    public byte[]? OthersBind { get; private set; }

    /// <summary>
    /// The plan for a Bind whose 1-based <paramref name="parameter"/> is 0 (the server picks the OID); null when the
    /// parameter gives an OID (or NULL), or the message is not one PostgreSQL accepts.
    /// </summary>
    public static LargeObjectBind? Plan(GroupFrame frame, ReadOnlySpan<byte> bind, int parameter)
    {
        try
        {
            var at = 5;
            at += bind[at..].IndexOf((byte)0) + 1; // portal
            at += bind[at..].IndexOf((byte)0) + 1; // statement
            var formatCount = BinaryPrimitives.ReadInt16BigEndian(bind[at..]);
            var formatsAt = at + 2;
            at = formatsAt + (2 * formatCount);
            var count = BinaryPrimitives.ReadInt16BigEndian(bind[at..]);
            at += 2;
            var valueAt = -1;
            var valueLength = 0;
            for (var i = 0; i < count; i++)
            {
                var length = BinaryPrimitives.ReadInt32BigEndian(bind[at..]);
                (valueAt, valueLength) = i == parameter - 1 ? (at + 4, length) : (valueAt, valueLength);
                at += 4 + Math.Max(length, 0);
            }

            var binaryParameter = Format(bind, formatsAt, formatCount, parameter - 1);
            var resultCount = BinaryPrimitives.ReadInt16BigEndian(bind[at..]);
            var binaryResult = Format(bind, at + 2, resultCount, 0);
            if (valueAt < 0 || valueLength < 0
                || ReplyValueCapture.ReadOid(bind.Slice(valueAt, valueLength).ToArray(), binaryParameter) != 0)
            {
                return null;
            }

            return new LargeObjectBind(frame, bind.ToArray(), valueAt, valueLength, binaryParameter, binaryResult);
        }
        catch (ArgumentOutOfRangeException)
        {
            return null; // a malformed Bind: every node rejects it alike
        }
    }

    /// <summary>Watches main's answer for the OID it picks, as main gets the group.</summary>
    public static void ArmOnMain(LargeObjectBind? plan, ReplyReader replies, NodeLink link, bool isMain)
    {
        if (plan is not null && isMain)
        {
            replies.Capture.Arm(link);
        }
    }

    /// <summary>Main has answered: the others' Bind gets its OID (none when main's answer carried none).</summary>
    public void TakeMainsOid(ReplyReader replies) =>
        OthersBind = ReplyValueCapture.ReadOid(replies.Capture.Take(), BinaryResult) is { } oid ? Rewrite(oid) : null;

    private byte[] Rewrite(uint oid)
    {
        // An int4 parameter (Npgsql sends the OID so) and an oid one both take the 32 bits; text as a signed int4,
        // which oid's input accepts too.
        var value = Encoding.ASCII.GetBytes(unchecked((int)oid).ToString(CultureInfo.InvariantCulture));
        if (_binaryParameter)
        {
            value = new byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(value, oid);
        }

        var frame = new byte[_bind.Length - _valueLength + value.Length];
        _bind.AsSpan(0, _valueAt).CopyTo(frame);
        BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(_valueAt - 4), value.Length);
        value.CopyTo(frame.AsSpan(_valueAt));
        _bind.AsSpan(_valueAt + _valueLength).CopyTo(frame.AsSpan(_valueAt + value.Length));
        BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(1), frame.Length - 1);
        return frame;
    }

    private static bool Format(ReadOnlySpan<byte> bind, int at, int count, int index) => count switch
    {
        <= 0 => false,
        1 => BinaryPrimitives.ReadInt16BigEndian(bind[at..]) == 1,
        _ => index < count && BinaryPrimitives.ReadInt16BigEndian(bind[(at + (2 * index))..]) == 1,
    };
}

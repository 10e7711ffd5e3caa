using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using Pgproxy.Core.Routing;

namespace Pgproxy.Core.Replication;

/// <summary>
/// An extended-protocol statement that lets the server pick a large object's OID, and the message of the group
/// the others get rewritten with main's OID once main has answered (<see cref="ReplyValueCapture"/>): the Bind
/// when a parameter gives the OID as 0 (Npgsql's <c>SELECT * FROM lo_create($1)</c>), the Parse when the text
/// itself asks (<c>SELECT lo_creat(-1)</c>).
/// </summary>
internal sealed class GroupLargeObject
{
    private readonly Func<uint, byte[]> _rewrite;

    private GroupLargeObject(GroupFrame frame, Func<uint, byte[]> rewrite, bool binaryResult)
    {
        Frame = frame;
        _rewrite = rewrite;
        BinaryResult = binaryResult;
    }

    /// <summary>The group's message this replaces for the others.</summary>
    public GroupFrame Frame { get; }

    /// <summary>The OID comes back in binary format.</summary>
    public bool BinaryResult { get; }

    /// <summary>The others' copy of <see cref="Frame"/>, with main's OID; null until main answered with one.</summary>
    public byte[]? OthersFrame { get; private set; }

    /// <summary>
    /// For a Bind whose 1-based <paramref name="parameter"/> is 0 (the server picks the OID); null when the
    /// parameter gives an OID (or NULL), or the message is not one PostgreSQL accepts.
    /// </summary>
    public static GroupLargeObject? ForBind(GroupFrame frame, ReadOnlySpan<byte> bind, int parameter)
    {
        if (!TryRead(bind, parameter, out var valueAt, out var valueLength, out var binaryParameter,
                out var binaryResult)
            || valueAt < 0 || valueLength < 0
            || ReplyValueCapture.ReadOid(bind.Slice(valueAt, valueLength).ToArray(), binaryParameter) != 0)
        {
            return null;
        }

        var copy = bind.ToArray();
        return new GroupLargeObject(frame, oid => ReplaceValue(copy, valueAt, valueLength, binaryParameter, oid),
            binaryResult);
    }

    /// <summary>
    /// For the Parse of <paramref name="call"/> (its text asks the server for the OID): the others' Parse gets
    /// main's OID in the text (<see cref="LargeObjectCall.OthersText"/>); <paramref name="bind"/> the Bind whose
    /// result format tells how the OID comes back.
    /// </summary>
    public static GroupLargeObject? ForParse(GroupFrame frame, ReadOnlySpan<byte> parse, LargeObjectCall call,
        ReadOnlySpan<byte> bind)
    {
        if (!TryRead(bind, 0, out _, out _, out _, out var binaryResult))
        {
            return null;
        }

        var name = parse[5..(5 + parse[5..].IndexOf((byte)0) + 1)].ToArray(); // with its NUL
        var queryEnd = 5 + name.Length + parse[(5 + name.Length)..].IndexOf((byte)0);
        var rest = parse[queryEnd..].ToArray(); // the query's NUL and the parameter types
        return new GroupLargeObject(frame, oid =>
        {
            var text = Encoding.UTF8.GetBytes(call.OthersText(oid));
            var rewritten = new byte[5 + name.Length + text.Length + rest.Length];
            rewritten[0] = (byte)'P';
            BinaryPrimitives.WriteInt32BigEndian(rewritten.AsSpan(1), rewritten.Length - 1);
            name.CopyTo(rewritten.AsSpan(5));
            text.CopyTo(rewritten.AsSpan(5 + name.Length));
            rest.CopyTo(rewritten.AsSpan(5 + name.Length + text.Length));
            return rewritten;
        }, binaryResult);
    }

    /// <summary>Watches main's answer for the OID it picks, as main gets the group.</summary>
    public static void ArmOnMain(GroupLargeObject? plan, ReplyReader replies, NodeLink link, bool isMain)
    {
        if (plan is not null && isMain)
        {
            replies.Capture.Arm(link);
        }
    }

    /// <summary>Main has answered: the others' copy gets its OID (none when main's answer carried none).</summary>
    public void TakeMainsOid(ReplyReader replies) =>
        OthersFrame = ReplyValueCapture.ReadOid(replies.Capture.Take(), BinaryResult) is { } oid ? _rewrite(oid) : null;

    /// <summary>
    /// A Bind's layout: where its 1-based <paramref name="parameter"/>'s value is (-1 when it has none), its format,
    /// and the first result column's format; false for a message PostgreSQL would reject.
    /// </summary>
    private static bool TryRead(ReadOnlySpan<byte> bind, int parameter, out int valueAt, out int valueLength,
        out bool binaryParameter, out bool binaryResult)
    {
        (valueAt, valueLength, binaryParameter, binaryResult) = (-1, 0, false, false);
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
            for (var i = 0; i < count; i++)
            {
                var length = BinaryPrimitives.ReadInt32BigEndian(bind[at..]);
                (valueAt, valueLength) = i == parameter - 1 ? (at + 4, length) : (valueAt, valueLength);
                at += 4 + Math.Max(length, 0);
            }

            binaryParameter = parameter > 0 && Format(bind, formatsAt, formatCount, parameter - 1);
            binaryResult = Format(bind, at + 2, BinaryPrimitives.ReadInt16BigEndian(bind[at..]), 0);
            return true;
        }
        catch (ArgumentOutOfRangeException)
        {
            return false; // a malformed Bind: every node rejects it alike
        }
    }

    private static byte[] ReplaceValue(byte[] bind, int valueAt, int valueLength, bool binary, uint oid)
    {
        // An int4 parameter (Npgsql sends the OID so) and an oid one both take the 32 bits; text as a signed int4,
        // which oid's input accepts too.
        var value = Encoding.ASCII.GetBytes(unchecked((int)oid).ToString(CultureInfo.InvariantCulture));
        if (binary)
        {
            value = new byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(value, oid);
        }

        var frame = new byte[bind.Length - valueLength + value.Length];
        bind.AsSpan(0, valueAt).CopyTo(frame);
        BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(valueAt - 4), value.Length);
        value.CopyTo(frame.AsSpan(valueAt));
        bind.AsSpan(valueAt + valueLength).CopyTo(frame.AsSpan(valueAt + value.Length));
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

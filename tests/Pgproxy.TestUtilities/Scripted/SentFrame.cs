using System.Buffers.Binary;
using System.Text;

namespace Pgproxy.TestUtilities.Scripted;

/// <summary>
/// One message pgproxy sent to a node, in the order pgproxy flushed it (across every node of a
/// <see cref="ReplicationHarness"/>), with a readable form for assertions: <c>Q BEGIN</c>, <c>P s1:INSERT …</c>,
/// <c>B portal:s1</c>, <c>D Ps1</c>, <c>E portal</c>, <c>S</c>, <c>H</c>, <c>C Ss1</c>, <c>d</c>, <c>c</c>,
/// <c>f</c>, <c>X</c>.
/// </summary>
internal sealed record SentFrame(int NodeId, byte[] Frame)
{
    public char Type => (char)Frame[0];

    public string Text => Describe(Frame);

    public override string ToString() => $"node {NodeId}: {Text}";

    /// <summary>
    /// How <see cref="Text"/> shows the one Query an other node gets for the statements held back for it inside the
    /// client's transaction (HeldScript): <c>Q BEGIN\n;\nUPDATE …</c>.
    /// </summary>
    public static string Script(params string[] statements) => "Q " + string.Join("\n;\n", statements);

    public static string Describe(byte[] frame)
    {
        var body = frame.AsSpan(5);
        var offset = 0;
        return (char)frame[0] switch
        {
            'Q' => "Q " + CString(body, ref offset),
            'P' => "P " + CString(body, ref offset) + ":" + CString(body, ref offset),
            'B' => "B " + CString(body, ref offset) + ":" + CString(body, ref offset),
            'D' or 'C' => (char)frame[0] + " " + (char)body[0] + CString(body[1..], ref offset),
            'E' => "E " + CString(body, ref offset),
            'f' => "f",
            'F' => "F " + FunctionCall(body, out _),
            var other => other.ToString(),
        };
    }

    /// <summary>
    /// A FunctionCall's body as <c>957(b0)</c>: the function's OID, each argument as <c>b</c> + its value for a
    /// 4-byte binary one (an int4 or oid), <c>b0x…</c> for another binary one, <c>t</c> + its text, or NULL;
    /// <paramref name="resultFormat"/> the result's format code.
    /// </summary>
    public static string FunctionCall(ReadOnlySpan<byte> body, out short resultFormat)
    {
        var function = BinaryPrimitives.ReadUInt32BigEndian(body);
        var codes = new short[BinaryPrimitives.ReadInt16BigEndian(body[4..])];
        var at = 6;
        for (var i = 0; i < codes.Length; i++, at += 2)
        {
            codes[i] = BinaryPrimitives.ReadInt16BigEndian(body[at..]);
        }

        var args = new string[BinaryPrimitives.ReadInt16BigEndian(body[at..])];
        at += 2;
        for (var i = 0; i < args.Length; i++)
        {
            var length = BinaryPrimitives.ReadInt32BigEndian(body[at..]);
            var value = body.Slice(at + 4, Math.Max(length, 0));
            var binary = (codes.Length == 1 ? codes[0] : codes.Length > i ? codes[i] : 0) == 1;
            args[i] = length < 0 ? "NULL"
                : !binary ? "t" + Encoding.UTF8.GetString(value)
                : length == 4 ? "b" + BinaryPrimitives.ReadUInt32BigEndian(value)
                : "b0x" + Convert.ToHexString(value);
            at += 4 + Math.Max(length, 0);
        }

        resultFormat = BinaryPrimitives.ReadInt16BigEndian(body[at..]);
        return $"{function}({string.Join(',', args)})";
    }

    /// <summary>
    /// A catalog query pgproxy runs on main on its own (volatile functions, table defaults, sequences, the session's
    /// default isolation level). Its results are cached (process-wide, or per backend connection), so whether one is
    /// sent depends on other tests: the harness leaves them out of its log.
    /// </summary>
    public bool IsCatalogLookup => QueryText is { } sql
        && (sql.Contains(" FROM pg_catalog.", StringComparison.Ordinal) || sql.StartsWith("SHOW default_transaction_isolation", StringComparison.Ordinal));

    /// <summary>The SQL of a Query message, or null for any other message.</summary>
    public string? QueryText => Type == 'Q' ? Describe(Frame)[2..] : null;

    private static string CString(ReadOnlySpan<byte> body, ref int offset)
    {
        var end = body[offset..].IndexOf((byte)0);
        var text = Encoding.UTF8.GetString(body.Slice(offset, end));
        offset += end + 1;
        return text;
    }

    /// <summary>Splits bytes into whole frames; what is left of an unfinished one stays in <paramref name="carry"/>.</summary>
    public static List<byte[]> SplitFrames(List<byte> carry)
    {
        var frames = new List<byte[]>();
        while (carry.Count >= 5)
        {
            Span<byte> header = [carry[1], carry[2], carry[3], carry[4]];
            var total = BinaryPrimitives.ReadInt32BigEndian(header) + 1;
            if (carry.Count < total)
            {
                break;
            }

            frames.Add([.. carry.GetRange(0, total)]);
            carry.RemoveRange(0, total);
        }

        return frames;
    }
}

using System.Text;
using System.Buffers.Binary;
using Pgproxy.Core.Determinism;
using Pgproxy.Core.Routing;
using Pgproxy.Protocol.Frontend;

namespace Pgproxy.Core.Replication;

/// <summary>The text of a client's Query and Parse messages, and the copies of them the other nodes get.</summary>
internal static class OthersFrames
{
    /// <summary>The SQL of a Query message, or of a Parse message (after the statement name).</summary>
    public static string FrameText(ReadOnlySpan<byte> frame, bool isParse) => Encoding.UTF8.GetString(SqlBytes(frame, isParse));

    /// <summary>The UTF-8 SQL of a Query message, or of a Parse message, undecoded.</summary>
    public static ReadOnlySpan<byte> SqlBytes(ReadOnlySpan<byte> frame, bool isParse) =>
        isParse ? ParseMessage.Read(frame[5..]).Query : QueryText(frame);

    /// <summary>The text for the other nodes: main's timestamp for time functions and for defaults left out.</summary>
    public static string RewriteForOthers(string sql, IReadOnlyList<TimeFunctionSpan> spans, DefaultsRewrite? defaults,
        string? mainNow, IReadOnlyList<RestoredDefault> restores)
    {
        if (restores.Count > 0)
        {
            // Several ALTER TABLE restores at one place keep their order: insertions at equal offsets append.
            sql = TimestampRewriter.RestoreDefaults(sql, spans, restores, out spans);
        }

        return defaults is null
            ? TimestampRewriter.Rewrite(sql, spans, mainNow!)
            : defaults.Render(sql, spans, mainNow);
    }

    /// <summary>The SQL text of a Query message, without its terminating zero.</summary>
    public static ReadOnlySpan<byte> QueryText(ReadOnlySpan<byte> frame)
    {
        var text = frame[5..];
        return !text.IsEmpty && text[^1] == 0 ? text[..^1] : text;
    }

    /// <summary>
    /// The Query message for the other nodes: main's timestamp in place of now() and CURRENT_* (when
    /// <paramref name="now"/> is given) and of the defaults the statement leaves out.
    /// </summary>
    public static byte[] RewriteQueryFrame(ReadOnlySpan<byte> frame, StatementClassification statement, string? now,
        DefaultsRewrite? defaults)
    {
        var text = Encoding.UTF8.GetString(QueryText(frame));
        return InjectedQueries.Encode(RewriteForOthers(text, now is null ? [] : statement.TimeFunctions, defaults, now,
            now is null ? [] : statement.RestoredDefaults));
    }

    /// <summary>
    /// The Parse message with main's timestamp in place of now() and CURRENT_*, and of the defaults the INSERT
    /// leaves out; parameters stay as they are.
    /// </summary>
    public static byte[] RewriteParseFrame(ReadOnlySpan<byte> frame, IReadOnlyList<TimeFunctionSpan> spans,
        DefaultsRewrite? defaults, string? now, IReadOnlyList<RestoredDefault> restores)
    {
        var parse = ParseMessage.Read(frame[5..]);
        return ParseFrameWithQuery(frame,
            RewriteForOthers(Encoding.UTF8.GetString(parse.Query), spans, defaults, now, restores));
    }

    /// <summary>The Parse message with <paramref name="sql"/> for its text; name and parameter types as they were.</summary>
    public static byte[] ParseFrameWithQuery(ReadOnlySpan<byte> frame, string sql)
    {
        var body = frame[5..];
        var parse = ParseMessage.Read(body);
        var queryStart = parse.QueryOffset;
        var rest = body[parse.AfterQueryOffset..];
        var rewritten = Encoding.UTF8.GetBytes(sql);
        var length = 4 + parse.StatementName.Length + 1 + rewritten.Length + 1 + rest.Length;
        var result = new byte[length + 1];
        result[0] = (byte)'P';
        BinaryPrimitives.WriteInt32BigEndian(result.AsSpan(1), length);
        body[..queryStart].CopyTo(result.AsSpan(5));
        rewritten.CopyTo(result.AsSpan(5 + queryStart));
        rest.CopyTo(result.AsSpan(5 + queryStart + rewritten.Length + 1));
        return result;
    }

    public static byte[] CloseFrame(ReadOnlySpan<byte> name)
    {
        var frame = new byte[name.Length + 7];
        frame[0] = (byte)'C';
        BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(1), name.Length + 6);
        frame[5] = (byte)'S';
        name.CopyTo(frame.AsSpan(6));
        return frame;
    }
}

using System.Buffers.Text;
using System.Text;
using Pgproxy.Protocol.Framing;

namespace Pgproxy.Protocol.Backend;

/// <summary>
/// CommandComplete ('C'): the command tag, e.g. "INSERT 0 5", "UPDATE 3", "CREATE TABLE". The row count, when
/// there is one, is always the last word (PostgreSQL cmdtag.c, BuildQueryCompletionString).
/// </summary>
public static class CommandCompleteMessage
{
    public static string ReadTag(ReadOnlySpan<byte> body) => Encoding.UTF8.GetString(ReadTagBytes(body));

    /// <summary>
    /// The trailing row count of the tag without allocating; false when the last word is not a number
    /// ("CREATE TABLE", "BEGIN").
    /// </summary>
    public static bool TryReadRowCount(ReadOnlySpan<byte> body, out long rows)
    {
        ReadOnlySpan<byte> tag = ReadTagBytes(body);
        ReadOnlySpan<byte> lastWord = tag[(tag.LastIndexOf((byte)' ') + 1)..];
        rows = 0;
        if (lastWord.IsEmpty || lastWord.ContainsAnyExceptInRange((byte)'0', (byte)'9'))
        {
            return false;
        }

        return Utf8Parser.TryParse(lastWord, out rows, out int consumed) && consumed == lastWord.Length;
    }

    public static ReadOnlySpan<byte> ReadTagBytes(ReadOnlySpan<byte> body)
    {
        int offset = 0;
        ReadOnlySpan<byte> tag = CStringReader.ReadBytes(body, ref offset, "CommandComplete");
        CStringReader.RequireEnd(body, offset, "CommandComplete");
        return tag;
    }
}

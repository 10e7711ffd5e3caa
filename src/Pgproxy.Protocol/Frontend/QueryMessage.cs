using Pgproxy.Protocol.Framing;

namespace Pgproxy.Protocol.Frontend;

/// <summary>Query ('Q'): the SQL text of a simple-protocol query.</summary>
public static class QueryMessage
{
    /// <summary>
    /// The text without its terminator, decoded as UTF-8. The first NUL must be the last byte, as PostgreSQL's
    /// pq_getmsgstring + pq_getmsgend demand.
    /// </summary>
    public static string ReadText(ReadOnlySpan<byte> body)
    {
        int offset = 0;
        string text = CStringReader.Read(body, ref offset, "Query");
        CStringReader.RequireEnd(body, offset, "Query");
        return text;
    }
}

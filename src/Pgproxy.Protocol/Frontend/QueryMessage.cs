using System.Buffers;
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

    /// <summary>
    /// Checks one piece of a Query body as it passes through (a large Query is streamed): no NUL before the last
    /// byte of the body, and the body ends with one. <paramref name="endsBody"/> tells whether the piece is the
    /// last. Without this, text after an embedded NUL would reach a node that the classifier never saw (it reads
    /// up to the first NUL), and a session PostgreSQL answers with 08P01 would be left open.
    /// </summary>
    public static void ValidateBodyPiece(in ReadOnlySequence<byte> piece, bool endsBody)
    {
        var nul = piece.PositionOf((byte)0);
        if (nul is null)
        {
            if (endsBody)
            {
                CStringReader.ThrowUnterminated("Query");
            }

            return;
        }

        if (!endsBody || !piece.GetPosition(1, nul.Value).Equals(piece.End))
        {
            CStringReader.ThrowMalformed("Query");
        }
    }
}

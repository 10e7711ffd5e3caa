using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace Pgproxy.Protocol.Framing;

/// <summary>Reads the NUL-terminated strings that message bodies are built from.</summary>
public static class CStringReader
{
    /// <summary>
    /// The bytes before the first NUL at <paramref name="offset"/>, advancing <paramref name="offset"/> past the NUL.
    /// A missing NUL is a <see cref="ProtocolViolationReason.MalformedMessage"/>.
    /// </summary>
    public static ReadOnlySpan<byte> ReadBytes(ReadOnlySpan<byte> body, scoped ref int offset, string messageName)
    {
        int length = body[offset..].IndexOf((byte)0);
        if (length < 0)
        {
            ThrowUnterminated(messageName);
        }

        ReadOnlySpan<byte> value = body.Slice(offset, length);
        offset += length + 1;
        return value;
    }

    /// <summary>As <see cref="ReadBytes"/>, decoded as UTF-8.</summary>
    public static string Read(ReadOnlySpan<byte> body, scoped ref int offset, string messageName) =>
        Encoding.UTF8.GetString(ReadBytes(body, ref offset, messageName));

    /// <summary>Throws unless <paramref name="offset"/> has consumed the whole body, as PostgreSQL's
    /// pq_getmsgend.</summary>
    public static void RequireEnd(ReadOnlySpan<byte> body, int offset, string messageName)
    {
        if (offset != body.Length)
        {
            ThrowMalformed(messageName);
        }
    }

    [DoesNotReturn]
    public static void ThrowUnterminated(string messageName) => ProtocolViolationException.Throw(
        ProtocolViolationReason.MalformedMessage, $"invalid string in message {messageName}");

    [DoesNotReturn]
    public static void ThrowMalformed(string messageName) => ProtocolViolationException.Throw(
        ProtocolViolationReason.MalformedMessage, $"invalid message format in {messageName}");
}

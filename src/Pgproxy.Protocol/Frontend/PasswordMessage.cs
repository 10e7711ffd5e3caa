using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Text;
using Pgproxy.Protocol.Framing;

namespace Pgproxy.Protocol.Frontend;

/// <summary>
/// The three bodies that share type 'p' during authentication: PasswordMessage (a clear-text password or an md5
/// answer), SASLInitialResponse and SASLResponse. Which one is expected depends on what the server asked for, so
/// the caller picks the reader. Every malformed body is a <see cref="ProtocolViolationException"/>, never an
/// out-of-range read: lengths are checked by subtraction against what is left (CVE-2026-6664 was a 32-bit
/// <c>pos + len</c> overflow in exactly this message).
/// </summary>
public static class PasswordMessage
{
    private static readonly UTF8Encoding StrictUtf8 = new(false, throwOnInvalidBytes: true);

    /// <summary>
    /// The password (or md5 answer) of a PasswordMessage: one string whose NUL is the last byte, as PostgreSQL's
    /// "invalid password packet size" check demands.
    /// </summary>
    public static string ReadPassword(ReadOnlySpan<byte> body)
    {
        int offset = 0;
        var password = CStringReader.ReadBytes(body, ref offset, "PasswordMessage");
        if (offset != body.Length)
        {
            Throw("invalid password packet size");
        }

        return Decode(password, "PasswordMessage");
    }

    /// <summary>
    /// SASLInitialResponse: the mechanism name, an Int32 length (-1 for no data) and that many bytes, which must
    /// end the body.
    /// </summary>
    public static (string Mechanism, byte[]? Data) ReadSaslInitialResponse(ReadOnlySpan<byte> body)
    {
        int offset = 0;
        var mechanism = Decode(CStringReader.ReadBytes(body, ref offset, "SASLInitialResponse"), "SASLInitialResponse");
        if (body.Length - offset < 4)
        {
            Throw("invalid SASLInitialResponse: missing data length");
        }

        int length = BinaryPrimitives.ReadInt32BigEndian(body[offset..]);
        offset += 4;
        int remaining = body.Length - offset;
        if (length == -1 && remaining == 0)
        {
            return (mechanism, null);
        }

        if (length < 0 || length != remaining)
        {
            Throw($"invalid SASLInitialResponse: data length {length} does not match the {remaining} byte(s) sent");
        }

        return (mechanism, body[offset..].ToArray());
    }

    /// <summary>
    /// A SASL message's data (the whole body of SASLResponse, or SASLInitialResponse's data) as text.
    /// </summary>
    public static string DecodeSaslData(ReadOnlySpan<byte> data) => Decode(data, "SASL message");

    private static string Decode(ReadOnlySpan<byte> bytes, string what)
    {
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            Throw($"invalid UTF-8 in {what}");
            return "";
        }
    }

    [DoesNotReturn]
    private static void Throw(string message) =>
        ProtocolViolationException.Throw(ProtocolViolationReason.MalformedMessage, message);
}

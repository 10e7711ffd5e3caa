using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace Pgproxy.Protocol.Framing;

/// <summary>
/// Decodes the untyped first packet of a connection: StartupMessage, SSLRequest, GSSENCRequest or CancelRequest,
/// following PostgreSQL's ProcessStartupPacket (backend_startup.c). Allocates freely: it runs once per connection.
/// </summary>
public static class StartupPacketReader
{
    private const int LengthFieldSize = 4;
    private const int MinimumLength = 8;
    private const int CodeOnlyLength = 8;
    private const int CancelRequestLength = 16;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false,
        throwOnInvalidBytes: true);

    /// <summary>
    /// Returns false, leaving <paramref name="buffer"/> untouched, while the packet is incomplete; otherwise slices
    /// the packet off the front of <paramref name="buffer"/> and decodes it. The length is checked before waiting
    /// for the body, so a hostile length never makes the caller buffer. Throws
    /// <see cref="ProtocolViolationException"/> for malformed packets.
    /// </summary>
    public static bool TryRead(ref ReadOnlySequence<byte> buffer, out StartupPacket? packet)
    {
        packet = null;
        if (buffer.Length < LengthFieldSize)
        {
            return false;
        }

        Span<byte> lengthBytes = stackalloc byte[LengthFieldSize];
        buffer.Slice(0, LengthFieldSize).CopyTo(lengthBytes);
        int length = BinaryPrimitives.ReadInt32BigEndian(lengthBytes);
        if (length < MinimumLength)
        {
            ProtocolViolationException.Throw(ProtocolViolationReason.StartupPacketTooSmall,
                $"invalid length of startup packet: {length}");
        }

        if (length > MessageLimits.StartupPacketMax)
        {
            ProtocolViolationException.Throw(ProtocolViolationReason.StartupPacketTooLarge,
                $"invalid length of startup packet: {length}");
        }

        if (buffer.Length < length)
        {
            return false;
        }

        byte[] bytes = buffer.Slice(0, length).ToArray();
        packet = Decode(bytes);
        buffer = buffer.Slice(length);
        return true;
    }

    private static StartupPacket Decode(byte[] bytes)
    {
        int code = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(LengthFieldSize));
        switch (code)
        {
            case StartupPacket.CancelRequestCode:
                RequireLength(bytes, CancelRequestLength, "cancel request");
                return new StartupPacket
                {
                    Kind = StartupPacketKind.CancelRequest,
                    ProtocolVersion = code,
                    CancelProcessId = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(8)),
                    CancelSecretKey = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(12)),
                };
            case StartupPacket.SslRequestCode:
                RequireLength(bytes, CodeOnlyLength, "SSL request");
                return new StartupPacket { Kind = StartupPacketKind.SslRequest, ProtocolVersion = code };
            case StartupPacket.GssEncRequestCode:
                RequireLength(bytes, CodeOnlyLength, "GSSAPI encryption request");
                return new StartupPacket { Kind = StartupPacketKind.GssEncRequest, ProtocolVersion = code };
        }

        // PostgreSQL 15+ accepts any 3.x minor and answers a newer one with NegotiateProtocolVersion.
        int major = code >>> 16;
        if (major != 3)
        {
            ProtocolViolationException.Throw(ProtocolViolationReason.UnsupportedProtocolVersion,
                $"unsupported frontend protocol {major}.{code & 0xFFFF}: server supports 3.0 to " +
                $"3.{StartupPacket.NewestSupportedMinorVersion}");
        }

        return DecodeStartupMessage(code, bytes.AsSpan(MinimumLength));
    }

    private static StartupPacket DecodeStartupMessage(int version, ReadOnlySpan<byte> pairs)
    {
        // Layout: (name \0 value \0)* \0. Mirrors PostgreSQL: stop at an empty name, then demand that it was the
        // last byte. Names and values keep their bytes; only user and database are decoded, strictly, because
        // pgproxy authenticates them and logs into the nodes with exactly what it authenticated.
        var parameters = new List<StartupParameter>();
        var protocolOptions = new List<string>();
        string user = "";
        string database = "";
        int offset = 0;
        while (offset < pairs.Length && pairs[offset] != 0)
        {
            int nameEnd = pairs[offset..].IndexOf((byte)0);
            if (nameEnd < 0)
            {
                break;
            }

            int valueStart = offset + nameEnd + 1;
            int valueEnd = pairs[valueStart..].IndexOf((byte)0);
            if (valueEnd < 0)
            {
                ThrowMissingTerminator();
            }

            var parameter = new StartupParameter(pairs.Slice(offset, nameEnd).ToArray(),
                pairs.Slice(valueStart, valueEnd).ToArray());
            parameters.Add(parameter);
            if (parameter.NameBytes.SequenceEqual("user"u8))
            {
                user = DecodeIdentity(parameter);
            }
            else if (parameter.NameBytes.SequenceEqual("database"u8))
            {
                database = DecodeIdentity(parameter);
            }
            else if (parameter.NameBytes.StartsWith("_pq_."u8))
            {
                protocolOptions.Add(parameter.Name);
            }

            offset = valueStart + valueEnd + 1;
        }

        if (offset != pairs.Length - 1)
        {
            ThrowMissingTerminator();
        }

        if (user.Length == 0)
        {
            ProtocolViolationException.Throw(ProtocolViolationReason.MissingUser,
                "no PostgreSQL user name specified in startup packet");
        }

        return new StartupPacket
        {
            Kind = StartupPacketKind.StartupMessage,
            ProtocolVersion = version,
            Parameters = parameters,
            User = user,
            Database = database.Length == 0 ? user : database,
            UnsupportedProtocolOptions = protocolOptions,
        };
    }

    /// <summary>
    /// user and database are looked up in pool_passwd and pool_hba.conf and sent to the nodes as UTF-8: a lossy
    /// decoding would authenticate one name and log in as another, so anything but valid UTF-8 is refused.
    /// </summary>
    private static string DecodeIdentity(StartupParameter parameter)
    {
        try
        {
            return StrictUtf8.GetString(parameter.ValueBytes);
        }
        catch (DecoderFallbackException)
        {
            ProtocolViolationException.Throw(ProtocolViolationReason.MalformedStartupPacket,
                $"invalid byte sequence for encoding \"UTF8\" in startup parameter \"{parameter.Name}\"");
            return "";
        }
    }

    private static void RequireLength(byte[] bytes, int expected, string what)
    {
        if (bytes.Length != expected)
        {
            ProtocolViolationException.Throw(ProtocolViolationReason.MalformedStartupPacket,
                $"invalid length of {what} packet: {bytes.Length}, expected {expected}");
        }
    }

    [DoesNotReturn]
    private static void ThrowMissingTerminator() => ProtocolViolationException.Throw(
        ProtocolViolationReason.MalformedStartupPacket,
        "invalid startup packet layout: expected terminator as last byte");
}

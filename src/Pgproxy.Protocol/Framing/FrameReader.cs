using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using Pgproxy.Protocol.Messages;

namespace Pgproxy.Protocol.Framing;

/// <summary>
/// Reads and validates the 5-byte header of typed messages. Only the header is parsed on the hot path; the body
/// stays in pipe memory until a decision needs it (DESIGN §2).
/// </summary>
public static class FrameReader
{
    /// <summary>
    /// Reads the header at the start of <paramref name="buffer"/>. Returns false when fewer than 5 bytes are
    /// buffered; throws <see cref="ProtocolViolationException"/> (<see cref="ProtocolViolationReason.LengthTooSmall"/>)
    /// when the length field is below 4. Does not check type or upper bound: see <see cref="ValidateFrontend"/>.
    /// </summary>
    public static bool TryReadHeader(in ReadOnlySequence<byte> buffer, out FrameHeader header)
    {
        // Nearly always the header sits inside the first segment; only pipe segment boundaries need the copy.
        ReadOnlySpan<byte> first = buffer.FirstSpan;
        if (first.Length >= FrameHeader.Size)
        {
            return TryReadHeader(first, out header);
        }

        return TryReadHeaderMultiSegment(buffer, out header);
    }

    /// <summary>Reads the header at the start of <paramref name="span"/>; same contract as the sequence
    /// overload.</summary>
    public static bool TryReadHeader(ReadOnlySpan<byte> span, out FrameHeader header)
    {
        if (span.Length < FrameHeader.Size)
        {
            header = default;
            return false;
        }

        int length = BinaryPrimitives.ReadInt32BigEndian(span[1..]);
        if (length < 4)
        {
            ThrowLengthTooSmall(length);
        }

        header = new FrameHeader(span[0], length);
        return true;
    }

    /// <summary>
    /// Checks a frontend header against PostgreSQL's rules and returns it unchanged:
    /// unknown type → <see cref="ProtocolViolationReason.UnknownMessageType"/>;
    /// length above <see cref="MessageLimits.MaxFrontendLength"/> →
    /// <see cref="ProtocolViolationReason.MessageTooLarge"/>;
    /// Terminate/Sync/Flush/CopyDone with a body → <see cref="ProtocolViolationReason.MalformedMessage"/>.
    /// PasswordMessage ('p') is a known type only when <paramref name="duringAuthentication"/> is true. Whether a
    /// known type is expected in the current phase (e.g. only 'p' during authentication) is the caller's decision
    /// (<see cref="ProtocolViolationReason.UnexpectedMessage"/>).
    /// </summary>
    public static FrameHeader ValidateFrontend(in FrameHeader header, bool duringAuthentication = false)
    {
        byte type = header.Type;
        int max = MessageLimits.MaxFrontendLength(type);
        if (max < 0 || (type == FrontendMessageType.PasswordMessage && !duringAuthentication))
        {
            ThrowUnknownType(type);
        }

        if (header.Length > max)
        {
            ThrowTooLarge(header);
        }

        // These carry no body; PostgreSQL calls pq_getmsgend on them, which rejects trailing bytes.
        if (header.Length != 4 && type is FrontendMessageType.Terminate or FrontendMessageType.Sync
                or FrontendMessageType.Flush or FrontendMessageType.CopyDone)
        {
            ThrowBodyNotEmpty(header);
        }

        return header;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static bool TryReadHeaderMultiSegment(in ReadOnlySequence<byte> buffer, out FrameHeader header)
    {
        if (buffer.Length < FrameHeader.Size)
        {
            header = default;
            return false;
        }

        Span<byte> copy = stackalloc byte[FrameHeader.Size];
        buffer.Slice(0, FrameHeader.Size).CopyTo(copy);
        return TryReadHeader(copy, out header);
    }

    [DoesNotReturn]
    private static void ThrowLengthTooSmall(int length) => ProtocolViolationException.Throw(
        ProtocolViolationReason.LengthTooSmall, $"invalid message length {length}");

    [DoesNotReturn]
    private static void ThrowUnknownType(byte type) => ProtocolViolationException.Throw(
        ProtocolViolationReason.UnknownMessageType, $"invalid frontend message type {type}");

    [DoesNotReturn]
    private static void ThrowTooLarge(FrameHeader header) => ProtocolViolationException.Throw(
        ProtocolViolationReason.MessageTooLarge,
        $"invalid message length {header.Length} for message type '{(char)header.Type}'");

    [DoesNotReturn]
    private static void ThrowBodyNotEmpty(FrameHeader header) => ProtocolViolationException.Throw(
        ProtocolViolationReason.MalformedMessage,
        $"invalid message format: message type '{(char)header.Type}' has length {header.Length}, expected 4");
}

namespace Pgproxy.Protocol.Framing;

/// <summary>Why a peer's bytes were rejected; each maps to an ErrorResponse with SQLSTATE 08P01 and a close.</summary>
public enum ProtocolViolationReason
{
    /// <summary>A length field below 4, the size of the field itself.</summary>
    LengthTooSmall,

    /// <summary>A length field above the limit for the message type (<see cref="MessageLimits"/>).</summary>
    MessageTooLarge,

    /// <summary>A type byte that is not a frontend message type, or not one legal in this phase.</summary>
    UnknownMessageType,

    /// <summary>A body that does not match the message's layout.</summary>
    MalformedMessage,

    /// <summary>A startup packet length below 8 (length field plus protocol code).</summary>
    StartupPacketTooSmall,

    /// <summary>A startup packet length above <see cref="MessageLimits.StartupPacketMax"/>.</summary>
    StartupPacketTooLarge,

    /// <summary>A protocol major version other than 3.</summary>
    UnsupportedProtocolVersion,

    /// <summary>A startup packet whose body does not match its kind.</summary>
    MalformedStartupPacket,

    /// <summary>A StartupMessage without a (non-empty) <c>user</c> parameter.</summary>
    MissingUser,

    /// <summary>A well-formed message at a point in the conversation where it is not allowed.</summary>
    UnexpectedMessage,

    /// <summary>Bytes sent after the proxy's 'S' answer to SSLRequest but before the TLS handshake.</summary>
    DataBeforeTlsHandshake,
}

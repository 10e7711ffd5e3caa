using Pgproxy.Protocol.Messages;

namespace Pgproxy.Protocol.Framing;

/// <summary>
/// Upper bounds on the length field of frontend messages, following PostgreSQL (postgres.c SocketBackend,
/// pqcomm.h). They are checked against the header before any body is buffered, so a hostile length never makes the
/// proxy allocate or wait. All limits include the 4 bytes of the length field itself, as the wire length does.
/// </summary>
public static class MessageLimits
{
    /// <summary>MAX_STARTUP_PACKET_LENGTH in PostgreSQL.</summary>
    public const int StartupPacketMax = 10000;

    /// <summary>PQ_SMALL_MESSAGE_LIMIT: messages that never carry user data.</summary>
    public const int SmallMessageMax = 10000;

    /// <summary>
    /// PQ_LARGE_MESSAGE_LIMIT (1 GiB − 1): messages that carry SQL text or data. Never pre-allocated from the
    /// declared length.
    /// </summary>
    public const int LargeMessageMax = 0x3FFFFFFF;

    /// <summary>
    /// PG_MAX_AUTH_TOKEN_LENGTH (65535) plus the length field: a password or SASL token.
    /// </summary>
    public const int AuthenticationMessageMax = 65535 + 4;

    /// <summary>
    /// The largest length field accepted for a frontend message of <paramref name="type"/>, or -1 when the type is
    /// not a frontend message type at all (so callers can tell "unknown" from "too large" without a throw).
    /// </summary>
    public static int MaxFrontendLength(byte type) => type switch
    {
        FrontendMessageType.Query or FrontendMessageType.Parse or FrontendMessageType.Bind
            or FrontendMessageType.CopyData or FrontendMessageType.FunctionCall => LargeMessageMax,
        FrontendMessageType.PasswordMessage => AuthenticationMessageMax,
        FrontendMessageType.Close or FrontendMessageType.CopyDone or FrontendMessageType.CopyFail
            or FrontendMessageType.Describe or FrontendMessageType.Execute or FrontendMessageType.Flush
            or FrontendMessageType.Sync or FrontendMessageType.Terminate => SmallMessageMax,
        _ => -1,
    };
}

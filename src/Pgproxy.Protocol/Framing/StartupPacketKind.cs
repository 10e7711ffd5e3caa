namespace Pgproxy.Protocol.Framing;

/// <summary>What an untyped startup packet is, decided by the Int32 code after its length.</summary>
public enum StartupPacketKind
{
    /// <summary>A protocol 3.x StartupMessage with parameters.</summary>
    StartupMessage,

    /// <summary>SSLRequest: the client asks for TLS before the StartupMessage.</summary>
    SslRequest,

    /// <summary>GSSENCRequest: the client asks for GSSAPI encryption; the proxy refuses it.</summary>
    GssEncRequest,

    /// <summary>CancelRequest: a separate connection asking to cancel another session's query.</summary>
    CancelRequest,
}

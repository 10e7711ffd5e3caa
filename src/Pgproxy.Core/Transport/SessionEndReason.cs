namespace Pgproxy.Core.Transport;

/// <summary>Why a session ended; decides what the client is told and whether the backend can be cached.</summary>
internal enum SessionEndReason
{
    /// <summary>Still running.</summary>
    None,

    /// <summary>The client sent Terminate: the clean way out.</summary>
    ClientTerminated,

    /// <summary>The client closed the socket without Terminate.</summary>
    ClientDisconnected,

    /// <summary>The client broke the protocol; it gets 08P01.</summary>
    ProtocolViolation,

    /// <summary><c>client_idle_limit</c> passed; the client gets 57P05.</summary>
    ClientIdleLimit,

    /// <summary>Fast shutdown; the client gets 57P01 and open transactions roll back.</summary>
    AdminShutdown,

    /// <summary>The backend closed or failed; the client is told and disconnected.</summary>
    BackendLost,
}

namespace Pgproxy.Core.Sessions;

/// <summary>Why pgproxy cut a connection's startup phase short; each gets its own ErrorResponse.</summary>
internal enum StartupEnd
{
    /// <summary>Not cut short.</summary>
    None,

    /// <summary><c>authentication_timeout</c> passed since the connection was accepted: 08P01.</summary>
    Timeout,

    /// <summary>
    /// Dropped as the oldest from the busiest address when <c>max_authenticating_connections</c> were reached: 53300.
    /// </summary>
    TooManyAuthenticating,

    /// <summary>
    /// Dropped as the oldest of <c>max_authenticating_connections_per_address</c> from its address: 53300.
    /// </summary>
    TooManyAuthenticatingFromAddress,

    /// <summary>Fast or immediate shutdown: 57P01.</summary>
    Shutdown,
}

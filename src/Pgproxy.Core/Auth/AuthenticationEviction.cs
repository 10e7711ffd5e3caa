namespace Pgproxy.Core.Auth;

/// <summary>
/// Why <see cref="AuthenticationLimiter"/> dropped a connection that had not finished authenticating.
/// </summary>
internal enum AuthenticationEviction
{
    /// <summary>Not dropped: it left on its own (authenticated, refused, gone).</summary>
    None,

    /// <summary>
    /// It was the oldest of the address with the most connections authenticating when
    /// <c>max_authenticating_connections</c> were.
    /// </summary>
    GlobalBound,

    /// <summary>
    /// It was the oldest of its source address when <c>max_authenticating_connections_per_address</c> from there
    /// were authenticating.
    /// </summary>
    AddressBound,
}

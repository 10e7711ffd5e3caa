using System.Net;

namespace Pgproxy.Core.Auth;

/// <summary>
/// One connection's place in <see cref="AuthenticationLimiter"/>: where it sits in the lists (so leaving costs
/// O(1)), how to drop it, and, once dropped, why. Every field but the constructor's is guarded by the limiter's
/// lock.
/// </summary>
internal sealed class AuthenticatingConnection(IPAddress? address, Action<AuthenticationEviction> evict)
{
    public IPAddress? Address { get; } = address;

    /// <summary>Drops the connection: the owner tells its client why and closes it.</summary>
    public Action<AuthenticationEviction> Evict { get; } = evict;

    /// <summary>Order of arrival: lower is older.</summary>
    public long Sequence { get; set; }

    /// <summary>Its node in the list of every authenticating connection; null once out.</summary>
    public LinkedListNode<AuthenticatingConnection>? Node { get; set; }

    /// <summary>Its node in the list of its address (of Unix-socket clients for those); null once out.</summary>
    public LinkedListNode<AuthenticatingConnection>? AddressNode { get; set; }

    public AuthenticationEviction Eviction { get; set; }
}

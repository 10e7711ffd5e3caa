using System.Net;

namespace Pgproxy.Core.Auth;

/// <summary>
/// The connections that have not finished authenticating, oldest first, overall and per source address. When a
/// bound is reached the newcomer is let in and an old connection is dropped instead: a flood of idle or slow
/// connections (reliability.md §5) then only ever pushes out its own members, while a real client, which
/// authenticates in milliseconds, is in and out long before it becomes old. Refusing the newcomer, as before,
/// locked real clients out for as long as the flood lasted. An authenticated session never touches this; the lock
/// is taken twice per connection (enter, exit), never per query.
/// </summary>
internal sealed class AuthenticationLimiter
{
    private readonly Lock _lock = new();
    private readonly LinkedList<AuthenticatingConnection> _all = new();
    private readonly Dictionary<IPAddress, LinkedList<AuthenticatingConnection>> _byAddress = new();

    // Unix-socket clients have no address; for choosing whom to drop they count as one address of their own.
    private readonly LinkedList<AuthenticatingConnection> _local = new();
    private long _entered;

    /// <summary>Connections authenticating now.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _all.Count;
            }
        }
    }

    /// <summary>Connections from <paramref name="address"/> authenticating now.</summary>
    public int CountFrom(IPAddress address)
    {
        lock (_lock)
        {
            return _byAddress.TryGetValue(address, out var list) ? list.Count : 0;
        }
    }

    /// <summary>
    /// Lets a connection in. First, while <paramref name="maxPerAddress"/> connections from its address are
    /// authenticating, the oldest of them is dropped; then, while <paramref name="max"/> are, the oldest of the
    /// address with the most connections authenticating (the oldest overall when they tie). Taking from the busiest
    /// address first matters against a flood that re-opens what is dropped: its own connections stay young, so a
    /// real client that takes a moment (a slow network, a SCRAM exchange) would soon be the oldest overall, but it
    /// is never from the busiest address. <paramref name="evict"/> is how this connection is dropped later, if it
    /// comes to that; it is called outside the lock, once at most. A null address (a Unix socket) has no
    /// per-address bound.
    /// </summary>
    public AuthenticatingConnection Enter(IPAddress? address, int max, int maxPerAddress,
        Action<AuthenticationEviction> evict)
    {
        var entry = new AuthenticatingConnection(address, evict);
        List<AuthenticatingConnection>? victims = null;
        lock (_lock)
        {
            entry.Sequence = ++_entered;
            if (address is null)
            {
                entry.AddressNode = _local.AddLast(entry);
            }
            else
            {
                // Evicting the last one of an address drops its list, so the list is looked up again after.
                while (_byAddress.TryGetValue(address, out var crowded) && crowded.Count >= Math.Max(1, maxPerAddress))
                {
                    (victims ??= []).Add(EvictLocked(crowded.First!.Value, AuthenticationEviction.AddressBound));
                }

                if (!_byAddress.TryGetValue(address, out var fromAddress))
                {
                    fromAddress = new LinkedList<AuthenticatingConnection>();
                    _byAddress[address] = fromAddress;
                }

                entry.AddressNode = fromAddress.AddLast(entry);
            }

            entry.Node = _all.AddLast(entry);
            while (_all.Count > Math.Max(1, max))
            {
                (victims ??= []).Add(EvictLocked(OldestOfBusiestLocked(), AuthenticationEviction.GlobalBound));
            }
        }

        // Outside the lock: dropping a connection cancels its reads, whose continuations may run inline.
        foreach (var victim in victims ?? [])
        {
            victim.Evict(victim.Eviction);
        }

        return entry;
    }

    /// <summary>
    /// Takes a connection out once its authentication ended, however it ended (idempotent). Returns how it was
    /// dropped if the limiter dropped it first (<see cref="AuthenticationEviction.None"/> otherwise), so a
    /// connection dropped just as it finished authenticating still ends, as it has been told it would.
    /// </summary>
    public AuthenticationEviction Exit(AuthenticatingConnection entry)
    {
        lock (_lock)
        {
            if (entry.Node is not null)
            {
                RemoveLocked(entry);
            }

            return entry.Eviction;
        }
    }

    /// <summary>
    /// The oldest connection of the address with the most connections authenticating. The connection being let in
    /// is never chosen: ties go to the older, and when its own list is the longest, older ones come first in it.
    /// </summary>
    private AuthenticatingConnection OldestOfBusiestLocked()
    {
        var busiest = _local.Count > 0 ? _local : null;
        foreach (var list in _byAddress.Values)
        {
            if (busiest is null || list.Count > busiest.Count
                || (list.Count == busiest.Count && list.First!.Value.Sequence < busiest.First!.Value.Sequence))
            {
                busiest = list;
            }
        }

        return busiest!.First!.Value;
    }

    private AuthenticatingConnection EvictLocked(AuthenticatingConnection victim, AuthenticationEviction reason)
    {
        RemoveLocked(victim);
        victim.Eviction = reason;
        return victim;
    }

    private void RemoveLocked(AuthenticatingConnection entry)
    {
        _all.Remove(entry.Node!);
        entry.Node = null;
        if (entry.AddressNode is { List: { } list } addressNode)
        {
            list.Remove(addressNode);
            entry.AddressNode = null;
            if (list.Count == 0 && entry.Address is not null)
            {
                // No list is kept for an address nobody authenticates from: a flood from many addresses must not
                // leave a map behind.
                _byAddress.Remove(entry.Address);
            }
        }
    }
}

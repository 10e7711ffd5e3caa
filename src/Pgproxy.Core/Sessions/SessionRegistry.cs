using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace Pgproxy.Core.Sessions;

/// <summary>
/// The sessions that hold a client slot, and the cancel keys pgproxy handed out. The slot count enforces
/// <c>num_init_children</c> without a lock. A client's key is main's real backend pid (so
/// <c>pg_terminate_backend(conn.ProcessID)</c> and notifications name the right process) with pgproxy's own random
/// secret, so a client never learns a backend's real secret and a CancelRequest is only forwarded when both parts
/// match.
/// </summary>
internal sealed class SessionRegistry
{
    // Keyed by the whole key the client was given, not by pid: two nodes' backends can share a pid number, and a
    // session keeps its pid after its backend changed (failover to another main, a cached connection), so the pid
    // alone may name two sessions. The random secret tells them apart.
    private readonly ConcurrentDictionary<(int ProcessId, int SecretKey), ClientSession> _byKey = new();
    private int _slotsInUse;

    public int Count => Volatile.Read(ref _slotsInUse);

    public ICollection<ClientSession> Sessions => _byKey.Values;

    /// <summary>Takes a client slot unless <paramref name="limit"/> are in use; never waits.</summary>
    public bool TryTakeSlot(int limit)
    {
        while (true)
        {
            var current = Volatile.Read(ref _slotsInUse);
            if (current >= limit)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _slotsInUse, current + 1, current) == current)
            {
                return true;
            }
        }
    }

    public void ReleaseSlot() => Interlocked.Decrement(ref _slotsInUse);

    /// <summary>
    /// Registers a started session under <paramref name="processId"/> (main's backend pid) and a fresh secret,
    /// and returns the secret.
    /// </summary>
    public int Register(ClientSession session, int processId)
    {
        while (true)
        {
            var secret = RandomNumberGenerator.GetInt32(int.MinValue, int.MaxValue);
            if (_byKey.TryAdd((processId, secret), session))
            {
                return secret;
            }
        }
    }

    public void Unregister(int processId, int secretKey) => _byKey.TryRemove((processId, secretKey), out _);

    /// <summary>Finds the session a CancelRequest names: both the pid and the secret it was given must match.</summary>
    public ClientSession? FindForCancel(int processId, int secretKey) =>
        _byKey.TryGetValue((processId, secretKey), out var session) ? session : null;
}

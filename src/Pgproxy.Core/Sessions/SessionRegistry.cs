using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace Pgproxy.Core.Sessions;

/// <summary>
/// The sessions that hold a client slot, and the cancel keys pgproxy handed out. The slot count enforces
/// <c>num_init_children</c> without a lock; cancel keys are pgproxy's own (process id, secret) pairs, so a
/// client never learns a backend's real key and a CancelRequest is only forwarded when both parts match.
/// </summary>
internal sealed class SessionRegistry
{
    private readonly ConcurrentDictionary<int, ClientSession> _byProcessId = new();
    private readonly ConcurrentDictionary<(int NodeId, int BackendPid), int> _proxyPidByBackend = new();
    private int _slotsInUse;
    private int _nextProcessId = RandomNumberGenerator.GetInt32(10_000, 1_000_000);

    public int Count => Volatile.Read(ref _slotsInUse);

    public ICollection<ClientSession> Sessions => _byProcessId.Values;

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

    /// <summary>Registers a started session under a fresh pgproxy cancel key and returns that key.</summary>
    public (int ProcessId, int SecretKey) Register(ClientSession session)
    {
        var secret = RandomNumberGenerator.GetInt32(int.MinValue, int.MaxValue);
        while (true)
        {
            var pid = Interlocked.Increment(ref _nextProcessId) & 0x7fffffff;
            if (pid != 0 && _byProcessId.TryAdd(pid, session))
            {
                return (pid, secret);
            }
        }
    }

    public void Unregister(int processId) => _byProcessId.TryRemove(processId, out _);

    /// <summary>Records that a node's backend process serves the session pgproxy knows as <paramref name="proxyPid"/>.</summary>
    public void MapBackend(int nodeId, int backendPid, int proxyPid) => _proxyPidByBackend[(nodeId, backendPid)] = proxyPid;

    public void UnmapBackend(int nodeId, int backendPid) => _proxyPidByBackend.TryRemove((nodeId, backendPid), out _);

    /// <summary>The pgproxy pid of the session a backend process currently serves, if it serves one.</summary>
    public int? FindProxyPid(int nodeId, int backendPid) =>
        _proxyPidByBackend.TryGetValue((nodeId, backendPid), out var pid) ? pid : null;

    /// <summary>Finds the session a CancelRequest names; the secret is compared in constant time.</summary>
    public ClientSession? FindForCancel(int processId, int secretKey)
    {
        if (!_byProcessId.TryGetValue(processId, out var session))
        {
            return null;
        }

        Span<byte> expected = stackalloc byte[4];
        Span<byte> given = stackalloc byte[4];
        BitConverter.TryWriteBytes(expected, session.CancelSecretKey);
        BitConverter.TryWriteBytes(given, secretKey);
        return CryptographicOperations.FixedTimeEquals(expected, given) ? session : null;
    }
}

using System.Collections.Concurrent;

namespace Pgproxy.Core.Auth;

/// <summary>
/// With <c>enable_pool_hba = off</c> a client is asked for what the main node asks for. Finding out costs a backend
/// connection, so the answer is remembered per (user, database) for a short while: long enough that a burst of
/// logins costs one probe, short enough that a change to the node's pg_hba.conf is seen soon. A reload forgets
/// everything.
/// </summary>
internal sealed class MainNodeAuthCache(TimeProvider time)
{
    /// <summary>How long an answer is trusted.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(10);

    private readonly ConcurrentDictionary<(string User, string Database), (ClientAuthMethod Method, long At)>
        _methods = new();

    public ClientAuthMethod? Find(string user, string database) =>
        _methods.TryGetValue((user, database), out var entry) && time.GetElapsedTime(entry.At) < Lifetime
            ? entry.Method
            : null;

    public void Remember(string user, string database, ClientAuthMethod method) =>
        _methods[(user, database)] = (method, time.GetTimestamp());

    public void Clear() => _methods.Clear();
}

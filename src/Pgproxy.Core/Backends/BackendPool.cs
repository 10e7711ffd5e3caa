using Microsoft.Extensions.Logging;
using Pgproxy.Core.Logging;

namespace Pgproxy.Core.Backends;

/// <summary>
/// The backend connection cache. When a client leaves, its reset backend connection is kept here, at most
/// <c>max_pool</c> of them per (user, database), and handed to the next client with the same startup
/// parameters. Idle connections older than <c>connection_life_time</c> seconds are closed by a sweep, never on
/// the query path. The newest idle connection is reused first so that surplus ones age out.
/// </summary>
internal sealed partial class BackendPool : IAsyncDisposable
{
    private readonly Dictionary<(string User, string Database), LinkedList<BackendConnection>> _idle = [];
    private readonly Lock _lock = new();
    private readonly ILogger _logger;
    private readonly Timer _sweepTimer;
    private volatile PoolSettings _settings;
    private bool _disposed;

    /// <summary>
    /// Databases a DROP/ALTER/CREATE DATABASE needs free, with the tick until which a connection to them coming back
    /// is closed rather than cached (see <see cref="CloseIdleToAsync"/>).
    /// </summary>
    private readonly Dictionary<string, long> _releasing = [];

    /// <summary>As long as PostgreSQL's DROP DATABASE waits for the other backends of the database to exit.</summary>
    private const long ReleaseWindowMs = 5_000;

    public BackendPool(PoolSettings settings, ILogger logger)
    {
        _settings = settings;
        _logger = logger;
        _sweepTimer = new Timer(_ => Sweep(), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
    }

    /// <summary>Settings a reload may change; the cache adapts on its next return or sweep.</summary>
    public PoolSettings Settings
    {
        get => _settings;
        set => _settings = value;
    }

    public int IdleCount
    {
        get
        {
            lock (_lock)
            {
                return _idle.Values.Sum(l => l.Count);
            }
        }
    }

    /// <summary>The idle connections now, for reports (SHOW POOL_POOLS, metrics); never on the query path.</summary>
    public List<BackendConnection> IdleSnapshot()
    {
        lock (_lock)
        {
            return _idle.Values.SelectMany(l => l).ToList();
        }
    }

    /// <summary>Takes a cached connection with exactly this key for this node, or returns null.</summary>
    public BackendConnection? TryRent(BackendPoolKey key, int nodeId)
    {
        while (true)
        {
            BackendConnection? candidate = null;
            lock (_lock)
            {
                if (!_idle.TryGetValue((key.User, key.Database), out var list))
                {
                    return null;
                }

                for (var node = list.First; node is not null; node = node.Next)
                {
                    if (node.Value.NodeId == nodeId && node.Value.Key.Equals(key))
                    {
                        candidate = node.Value;
                        list.Remove(node);
                        break;
                    }
                }
            }

            if (candidate is null)
            {
                return null;
            }

            if (!IsExpired(candidate, Environment.TickCount64) && candidate.LooksIdleAndAlive())
            {
                candidate.Reuses++;
                return candidate;
            }

            Discard(candidate, "expired or closed while idle");
        }
    }

    /// <summary>Caches a connection that has been reset, or closes it when caching is off or the cache is full.</summary>
    public void Return(BackendConnection connection)
    {
        var settings = _settings;
        if (!settings.ConnectionCache || connection.IsBroken)
        {
            Discard(connection, connection.IsBroken ? "not reusable" : "connection_cache is off");
            return;
        }

        connection.ReturnedAt = Environment.TickCount64;
        BackendConnection? evicted = null;
        string? refused = null;
        lock (_lock)
        {
            if (_disposed)
            {
                refused = "the cache is closed";
            }
            else if (IsReleasing(connection.Key.Database))
            {
                // A session that was leaving while a DROP DATABASE closed the idle ones comes back only now: cached,
                // it would hold the database, and the statement would fail with 55006 after PostgreSQL's 5 s wait.
                refused = "its database is being dropped, renamed or copied";
            }
            else
            {
                var slot = (connection.Key.User, connection.Key.Database);
                if (!_idle.TryGetValue(slot, out var list))
                {
                    _idle[slot] = list = new LinkedList<BackendConnection>();
                }

                list.AddFirst(connection);
                if (list.Count > settings.MaxPool)
                {
                    evicted = list.Last!.Value;
                    list.RemoveLast();
                }
            }
        }

        if (refused is not null)
        {
            Discard(connection, refused);
            return;
        }

        Log.Pooled(_logger, connection.NodeId, connection.ProcessId, connection.Key.User, connection.Key.Database);
        if (evicted is not null)
        {
            Discard(evicted, "max_pool reached");
        }
    }

    /// <summary>Closes every idle connection (shutdown, or a reload that changed the backends).</summary>
    public void Clear()
    {
        List<BackendConnection> all;
        lock (_lock)
        {
            all = _idle.Values.SelectMany(l => l).ToList();
            _idle.Clear();
        }

        foreach (var connection in all)
        {
            Discard(connection, "pool cleared");
        }
    }

    /// <summary>
    /// Closes the idle connections to <paramref name="databases"/>, on every node and for every user: DROP/ALTER
    /// DATABASE and CREATE DATABASE's template copy fail (55006) while any backend is connected to them, and
    /// cached ones would be pgproxy's own doing. PostgreSQL waits up to 5 seconds for backends that are exiting,
    /// so a statement sent right after this does not need to wait for the closes to finish.
    /// </summary>
    public Task CloseIdleToAsync(IReadOnlyList<string> databases)
    {
        if (databases.Count == 0)
        {
            return Task.CompletedTask;
        }

        List<BackendConnection>? closing = null;
        lock (_lock)
        {
            var until = Environment.TickCount64 + ReleaseWindowMs;
            foreach (var database in databases)
            {
                _releasing[database] = until;
            }

            foreach (var (slot, list) in _idle)
            {
                if (databases.Contains(slot.Database))
                {
                    (closing ??= []).AddRange(list);
                    list.Clear();
                }
            }
        }

        if (closing is null)
        {
            return Task.CompletedTask;
        }

        var closes = new Task[closing.Count];
        for (var i = 0; i < closing.Count; i++)
        {
            Log.Discarded(_logger, closing[i].NodeId, closing[i].ProcessId, "its database is being dropped, renamed or copied");
            closes[i] = closing[i].TerminateAsync();
        }

        return Task.WhenAll(closes);
    }

    public async ValueTask DisposeAsync()
    {
        lock (_lock)
        {
            _disposed = true;
        }

        await _sweepTimer.DisposeAsync();
        Clear();
    }

    private void Sweep()
    {
        var now = Environment.TickCount64;
        List<BackendConnection>? expired = null;
        lock (_lock)
        {
            foreach (var database in _releasing.Keys)
            {
                _ = IsReleasing(database); // forgets a finished window
            }

            foreach (var list in _idle.Values)
            {
                for (var node = list.First; node is not null;)
                {
                    var next = node.Next;
                    if (IsExpired(node.Value, now))
                    {
                        (expired ??= []).Add(node.Value);
                        list.Remove(node);
                    }

                    node = next;
                }
            }
        }

        if (expired is null)
        {
            return;
        }

        foreach (var connection in expired)
        {
            Discard(connection, "connection_life_time expired");
        }
    }

    /// <summary>True while a connection to <paramref name="database"/> must not be cached; under the lock.</summary>
    private bool IsReleasing(string database)
    {
        if (_releasing.Count == 0 || !_releasing.TryGetValue(database, out var until))
        {
            return false;
        }

        if (Environment.TickCount64 < until)
        {
            return true;
        }

        _releasing.Remove(database);
        return false;
    }

    private bool IsExpired(BackendConnection connection, long now)
    {
        var lifeTime = _settings.ConnectionLifeTimeSeconds;
        return lifeTime > 0 && now - connection.ReturnedAt >= lifeTime * 1000L;
    }

    private void Discard(BackendConnection connection, string reason)
    {
        Log.Discarded(_logger, connection.NodeId, connection.ProcessId, reason);
        _ = connection.TerminateAsync();
    }

    private static partial class Log
    {
        [LoggerMessage(EventIds.BackendPooled, LogLevel.Debug,
            "cached backend connection to node {NodeId} (pid {BackendPid}) for user \"{User}\" database \"{Database}\"")]
        public static partial void Pooled(ILogger logger, int nodeId, int backendPid, string user, string database);

        [LoggerMessage(EventIds.BackendDiscarded, LogLevel.Debug,
            "closed backend connection to node {NodeId} (pid {BackendPid}): {Reason}")]
        public static partial void Discarded(ILogger logger, int nodeId, int backendPid, string reason);
    }
}

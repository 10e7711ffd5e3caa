using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Pgproxy.Core.Catalog;
using Pgproxy.Core.Config;
using Pgproxy.Core.Consistency;
using Pgproxy.Core.Failover;
using Pgproxy.Core.Health;
using Pgproxy.Core.Listener;
using Pgproxy.Core.Logging;
using Pgproxy.Core.Prometheus;
using Pgproxy.Core.Recovery;
using Pgproxy.Core.Replication;
using Pgproxy.Core.Sessions;
using Pgproxy.Core.Tls;
using Pgproxy.Core.Transport;

namespace Pgproxy.Core.Hosting;

/// <summary>
/// The running proxy: listeners, sessions and the shared runtime. The executable hosts one; tests host one
/// in-process on port 0. Start binds every endpoint or fails; Stop follows pgpool's smart, fast and immediate
/// modes; Reload applies what may change at run time and names the keys that need a restart.
/// </summary>
internal sealed partial class ProxyServer : IAsyncDisposable
{
    /// <summary>How long a stop waits for queued status events to reach the system DB.</summary>
    private static readonly TimeSpan CatalogFlushDeadline = TimeSpan.FromSeconds(3);

    private static readonly TimeSpan CatalogFlushDeadlineImmediate = TimeSpan.FromMilliseconds(500);

    private readonly ProxyRuntime _runtime;
    private readonly ILogger _logger;
    private readonly List<ClientListener> _listeners = [];
    private readonly ConcurrentDictionary<ClientSession, Task> _sessions = new();
    private Timer? _idleTimer;
    private HealthChecker? _healthChecker;
    private PreparedTransactionResolver? _resolver;
    private FailoverCommandRunner? _failoverCommands;
    private CatalogWriter? _catalog;
    private MetricsEndpoint? _metrics;

    public ProxyServer(ProxyOptions options, ILoggerFactory loggerFactory, TimeProvider? time = null)
    {
        _runtime = new ProxyRuntime(options, loggerFactory, time ?? TimeProvider.System);
        _logger = loggerFactory.CreateLogger("Pgproxy");
    }

    public ProxyOptions Options => _runtime.Options;

    /// <summary>The TCP port actually bound (differs from the configured one when that is 0).</summary>
    public int Port { get; private set; }

    /// <summary>Client sessions currently connected, including those still in their startup phase.</summary>
    public int SessionCount => _sessions.Count;

    internal ProxyRuntime Runtime => _runtime;

    /// <summary>The Prometheus endpoint, or null when <c>metrics_port</c> is 0.</summary>
    internal MetricsEndpoint? Metrics => _metrics;

    /// <summary>
    /// Binds every endpoint, restores the saved node status (unless <paramref name="discardStatus"/>, pgproxy's
    /// -D) and starts accepting clients.
    /// </summary>
    public void Start(bool discardStatus = false)
    {
        var options = _runtime.Options;
        _runtime.HbaRules = ClientAuthFiles.LoadHba(options);
        _runtime.Tls = ProxyTls.Load(options);
        _runtime.PoolPasswd = ClientAuthFiles.LoadPoolPasswd(options, _logger);
        var backlog = Math.Max(128, options.NumInitChildren * Math.Max(1, options.ListenBacklogMultiplier));
        var listenerLogger = _runtime.LoggerFactory.CreateLogger("Pgproxy.Listener");
        try
        {
            Port = options.Port;
            foreach (var endpoint in ListenEndpointResolver.TcpEndpoints(options, options.Port))
            {
                var listener = ClientListener.BindTcp(new IPEndPoint(endpoint.Address, Port), backlog, listenerLogger);
                _listeners.Add(listener);
                Port = ((IPEndPoint)listener.LocalEndPoint).Port; // port 0: every address shares the first's port
            }

            foreach (var path in ListenEndpointResolver.UnixSocketPaths(options, Port))
            {
                _listeners.Add(ClientListener.BindUnix(path, backlog, listenerLogger));
            }

            _metrics = MetricsEndpoint.Start(_runtime);
        }
        catch (SocketException)
        {
            foreach (var listener in _listeners)
            {
                listener.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }

            _listeners.Clear();
            throw;
        }

        // After binding (a port in use fails before anything else happens), before the first client: sessions
        // must see the nodes a previous run left down as down.
        _catalog = CatalogStartup.Run(_runtime, discardStatus);
        _resolver = new PreparedTransactionResolver(_runtime,
            _runtime.LoggerFactory.CreateLogger("Pgproxy.Replication"));
        _resolver.StartAsync().GetAwaiter().GetResult();
        new StartupSequenceLevel(_runtime, _runtime.LoggerFactory.CreateLogger("Pgproxy.Replication"))
            .RunAsync(_runtime.Shutdown.Token).GetAwaiter().GetResult();
        _runtime.CatalogWrites.Counters = new OidCounters(_runtime, _runtime.LoggerFactory.CreateLogger("Pgproxy.Replication"));
        _runtime.Checks = new ConsistencyChecker(_runtime,
            _runtime.LoggerFactory.CreateLogger("Pgproxy.Consistency"));
        _runtime.Checks.StartPeriodic();
        _runtime.Recoveries = new RecoveryService(_runtime,
            _runtime.LoggerFactory.CreateLogger("Pgproxy.Recovery"));
        _runtime.Recoveries.StartCleanup();
        foreach (var listener in _listeners)
        {
            listener.Start(OnAccepted);
        }

        _idleTimer = new Timer(_ => CheckIdleClients(), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));

        // Hooks first, so that the first failover a health check finds already runs failover_command.
        var loggers = _runtime.LoggerFactory;
        _failoverCommands = new FailoverCommandRunner(_runtime, loggers.CreateLogger("Pgproxy.Failover"));
        _failoverCommands.Start();
        _healthChecker = new HealthChecker(_runtime, loggers.CreateLogger("Pgproxy.Health"));
        _healthChecker.Start();
        Log.Started(_logger, ProductInfo.VersionLine, Port, options.Backends.Count);
    }

    /// <summary>One round of the prepared-transaction resolver now, whatever their age (tests).</summary>
    internal Task ResolvePreparedTransactionsAsync() =>
        _resolver?.ResolveAsync(TimeSpan.Zero, CancellationToken.None) ?? Task.CompletedTask;

    /// <summary>Stops in the given mode; returns once every session is gone (or at once for Immediate).</summary>
    public async Task StopAsync(ShutdownMode mode)
    {
        Log.Stopping(_logger, mode, _sessions.Count);
        foreach (var listener in _listeners)
        {
            await listener.DisposeAsync();
        }

        _listeners.Clear();
        if (_metrics is not null)
        {
            await _metrics.DisposeAsync();
            _metrics = null;
        }

        if (_idleTimer is not null)
        {
            await _idleTimer.DisposeAsync();
        }

        if (_resolver is not null)
        {
            await _resolver.DisposeAsync();
            _resolver = null;
        }

        if (_runtime.CatalogWrites.Counters is { } counters)
        {
            _runtime.CatalogWrites.Counters = null;
            await counters.DisposeAsync();
        }

        if (_runtime.Recoveries is { } recoveries)
        {
            await recoveries.DisposeAsync();
        }

        if (_runtime.Checks is { } checks)
        {
            await checks.DisposeAsync();
        }

        if (_healthChecker is not null)
        {
            await _healthChecker.DisposeAsync();
            _healthChecker = null;
        }

        if (mode == ShutdownMode.Smart)
        {
            await EndReplicationConnectionsLastAsync();
        }
        else
        {
            await _runtime.Shutdown.CancelAsync();
            foreach (var session in _sessions.Keys)
            {
                session.Kill(SessionEndReason.AdminShutdown);
            }
        }

        if (mode != ShutdownMode.Immediate)
        {
            await Task.WhenAll(_sessions.Values);
        }

        if (_failoverCommands is not null)
        {
            // Queued hooks may finish (bounded), except when the administrator asked to exit now.
            await _failoverCommands.StopAsync(drain: mode != ShutdownMode.Immediate);
            _failoverCommands = null;
        }

        if (_catalog is not null)
        {
            _runtime.Nodes.StatusChanged -= _catalog.Enqueue;
            _runtime.Nodes.Reconfigured -= _catalog.RewriteNodeRows;
            await _catalog.StopAsync(mode == ShutdownMode.Immediate ? CatalogFlushDeadlineImmediate
                : CatalogFlushDeadline);
            _catalog.Dispose();
            _catalog = null;
        }

        await _runtime.Pool.DisposeAsync();
        Log.Stopped(_logger);
    }

    /// <summary>
    /// A smart stop waits for the clients, but a replication stream never ends by itself: as PostgreSQL does with its
    /// walsenders, the other sessions are waited for first, then replication connections are ended (57P01). Their
    /// consumers resume from their slots' confirmed position, so nothing is lost.
    /// </summary>
    private async Task EndReplicationConnectionsLastAsync()
    {
        await Task.WhenAll(_sessions.Where(s => !s.Key.IsWalSender).Select(s => s.Value));
        foreach (var session in _sessions.Keys.Where(s => s.IsWalSender))
        {
            session.Kill(SessionEndReason.AdminShutdown);
        }
    }

    /// <summary>
    /// Applies a re-read configuration. Keys that can change at run time take effect for new work at once;
    /// the names of changed keys that need a restart are returned (and keep their old values until then).
    /// </summary>
    public IReadOnlyList<string> Reload(ProxyOptions reloaded)
    {
        var current = _runtime.Options;
        var hbaRules = ClientAuthFiles.LoadHba(reloaded); // these throw on errors: then nothing changes
        var poolPasswd = ClientAuthFiles.LoadPoolPasswd(reloaded, _logger);
        var tls = ProxyTls.Load(reloaded with { Ssl = current.Ssl }); // new sessions get the new certificate
        var restartKeys = ConfigDiff.RestartRequiredChanges(current, reloaded);
        _runtime.HbaRules = hbaRules;
        _runtime.PoolPasswd = poolPasswd;
        _runtime.MainNodeAuth.Clear();
        _runtime.Tls = tls;
        _runtime.Options = reloaded with
        {
            Ssl = current.Ssl,
            ListenAddresses = current.ListenAddresses,
            Port = current.Port,
            UnixSocketDirectories = current.UnixSocketDirectories,
            NumInitChildren = current.NumInitChildren,
            MaxPool = current.MaxPool,
            ReservedConnections = current.ReservedConnections,
            PidFileName = current.PidFileName,
            Logdir = current.Logdir,
            WorkDir = current.WorkDir,
            MetricsPort = current.MetricsPort,
        };
        _healthChecker?.SettingsChanged();
        Log.Reloaded(_logger, _runtime.Options.ConfigFilePath);
        foreach (var key in restartKeys)
        {
            Log.ReloadNeedsRestart(_logger, key);
        }

        return restartKeys;
    }

    /// <summary>Escalates a smart shutdown to fast: every client is disconnected and its transaction rolled back.</summary>
    public void DisconnectAllClients()
    {
        _runtime.Shutdown.Cancel();
        foreach (var session in _sessions.Keys)
        {
            session.Kill(SessionEndReason.AdminShutdown);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_listeners.Count > 0)
        {
            await StopAsync(ShutdownMode.Fast);
        }
        else
        {
            // Never started (or already stopped): only the cache and its sweep timer are left to release.
            await _runtime.Pool.DisposeAsync();
        }
    }

    private void OnAccepted(Socket socket)
    {
        var remote = socket.RemoteEndPoint?.ToString() is { Length: > 0 } r ? r : "[local]";
        Accept(EpollConnection.Create(socket), remote, (socket.RemoteEndPoint as IPEndPoint)?.Address);
    }

    /// <summary>Runs a client session over any transport (a socket here; in-memory pipes in benchmarks).</summary>
    internal Task Accept(IConnectionTransport transport, string remoteAddress, IPAddress? remoteIp = null)
    {
        var session = new ClientSession(transport, remoteAddress, remoteIp, _runtime);
        _runtime.Metrics.SessionOpened();
        var task = RunSessionAsync(session, transport);
        _sessions[session] = task;
        return task;
    }

    private async Task RunSessionAsync(ClientSession session, IConnectionTransport pipe)
    {
        // Yield first so the accept loop goes straight back to accepting.
        await Task.Yield();
        try
        {
            await session.RunAsync();
        }
        finally
        {
            await pipe.DisposeAsync();
            if (!ReferenceEquals(session.Transport, pipe))
            {
                await session.Transport.DisposeAsync(); // the TLS transport the session switched to
            }

            _sessions.TryRemove(session, out _);
            _runtime.Metrics.SessionClosed();
        }
    }

    private void CheckIdleClients()
    {
        var limit = _runtime.Options.ClientIdleLimit;
        if (limit <= 0)
        {
            return;
        }

        var now = Environment.TickCount64;
        foreach (var session in _sessions.Keys)
        {
            if (session.IsIdleBeyond(limit, now))
            {
                session.Kill(SessionEndReason.ClientIdleLimit);
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventIds.Started, LogLevel.Information,
            "{Version} started: accepting connections on port {Port} for {Nodes} backend node(s)")]
        public static partial void Started(ILogger logger, string version, int port, int nodes);

        [LoggerMessage(EventIds.Stopping, LogLevel.Information, "{Mode} shutdown requested ({Sessions} client(s) connected)")]
        public static partial void Stopping(ILogger logger, ShutdownMode mode, int sessions);

        [LoggerMessage(EventIds.Stopped, LogLevel.Information, "pgproxy stopped")]
        public static partial void Stopped(ILogger logger);

        [LoggerMessage(EventIds.Reloaded, LogLevel.Information, "reloaded configuration from {Path}")]
        public static partial void Reloaded(ILogger logger, string path);

        [LoggerMessage(EventIds.ReloadNeedsRestart, LogLevel.Warning,
            "parameter \"{Key}\" changed, but it cannot be changed without restarting pgproxy")]
        public static partial void ReloadNeedsRestart(ILogger logger, string key);
    }
}

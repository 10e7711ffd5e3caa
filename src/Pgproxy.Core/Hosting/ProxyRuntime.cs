using Microsoft.Extensions.Logging;
using Pgproxy.Core.Auth;
using Pgproxy.Core.Backends;
using Pgproxy.Core.Catalog;
using Pgproxy.Core.Config;
using Pgproxy.Core.Consistency;
using Pgproxy.Core.Failover;
using Pgproxy.Core.Health;
using Pgproxy.Core.Metrics;
using Pgproxy.Core.Operations;
using Pgproxy.Core.Prometheus;
using Pgproxy.Core.Recovery;
using Pgproxy.Core.Replication;
using Pgproxy.Core.Routing;
using Pgproxy.Core.Sessions;
using Pgproxy.Core.Tls;

namespace Pgproxy.Core.Hosting;

/// <summary>
/// What every session shares: the current configuration (swapped whole on reload), the nodes, the connection
/// cache, the session registry and logging. One instance per running proxy.
/// </summary>
internal sealed class ProxyRuntime : IHealthServices, ICatalogServices, IFailoverServices, IConsistencyServices, IReplicationServices, ISessionServices,
    IRecoveryServices, IAdminServices, IMetricsSources
{
    private volatile ProxyOptions _options;
    private ProxyTls? _tls;

    public ProxyRuntime(ProxyOptions options, ILoggerFactory loggerFactory, TimeProvider time)
    {
        _options = options;
        LoggerFactory = loggerFactory;
        Time = time;
        StartedAt = time.GetUtcNow();
        Nodes = new BackendNodeSet(options.Backends, time);
        HealthStats = Nodes.Nodes.ToDictionary(n => n.NodeId, _ => new HealthCheckStats());
        Pool = new BackendPool(PoolSettings.From(options), loggerFactory.CreateLogger("Pgproxy.Backends"));
        RoutingPolicy = new RoutingPolicy(options, new ClassificationCache(), new FunctionVolatility());
        BackendConnector = new SocketBackendConnector(() => Tls);
        MainNodeAuth = new MainNodeAuthCache(time);
        Nodes.StatusChanged += CountDegeneration;
    }

    /// <summary>Proxy-wide counters: sessions, statement latency (per-node ones live on each node).</summary>
    public ProxyMetrics Metrics { get; } = new();

    /// <summary>replication_commit as it is in effect, and what two-phase commit did (DESIGN §3.9).</summary>
    public TwoPhaseCommitState TwoPhase { get; } = new();

    /// <summary>Where commits wait while a consistency check or a recovery takes its common cut (DESIGN §5).</summary>
    public WriteGate WriteGate { get; } = new();

    /// <summary>Refuses schema changes while a recovery copies main (see <see cref="SchemaChangeHold"/>).</summary>
    public SchemaChangeHold SchemaChanges { get; } = new();

    /// <summary>DDL one at a time, so OIDs are drawn in one order on every node (<see cref="CatalogWriteOrder"/>).</summary>
    public CatalogWriteOrder CatalogWrites { get; } = new();

    /// <summary>Autocommit writes run again for their row counts (<see cref="WriteReruns"/>).</summary>
    public WriteReruns Reruns { get; } = new();

    public BackendSignals Signals { get; } = new();

    /// <summary>The consistency checks (PGPROXY CHECK, consistency_check_period, ATTACH); set once the server starts.</summary>
    public ConsistencyChecker? Checks { get; set; }

    /// <summary>PGPROXY RECOVER NODE's recoveries; set once the server starts.</summary>
    public RecoveryService? Recoveries { get; set; }

    /// <summary>
    /// Chooses the node that serves a session's reads; tests replace it with one drawing from a seeded source.
    /// </summary>
    public LoadBalancePolicy LoadBalance { get; set; } = LoadBalancePolicy.Shared;

    /// <summary>Routing settings and the classification caches (swapped whole on reload, caches kept).</summary>
    public RoutingPolicy RoutingPolicy { get; private set; }

    public ProxyOptions Options
    {
        get => _options;
        set
        {
            _options = value;
            RoutingPolicy = new RoutingPolicy(value, RoutingPolicy.Classifications, RoutingPolicy.Volatility);
            Pool.Settings = PoolSettings.From(value);
            Nodes.ApplyReload(value.Backends);
        }
    }

    public ILoggerFactory LoggerFactory { get; }

    public TimeProvider Time { get; }

    public DateTimeOffset StartedAt { get; }

    public BackendNodeSet Nodes { get; }

    public BackendPool Pool { get; }

    /// <summary>Health check counters by node id (<c>SHOW POOL_HEALTH_CHECK_STATS</c>).</summary>
    public IReadOnlyDictionary<int, HealthCheckStats> HealthStats { get; }

    public SessionRegistry Sessions { get; } = new();

    IEnumerable<IAdminSession> IAdminServices.Sessions => Sessions.Sessions;

    /// <summary>The backend connections of each session now open, one sequence per session.</summary>
    public IEnumerable<IEnumerable<BackendConnection>> SessionBackends => Sessions.Sessions.Select(s => s.Backends);

    int IMetricsSources.ClientSlotsInUse => Sessions.Count;

    IAdminServices ISessionServices.Admin => this;

    IReplicationServices ISessionServices.Replication => this;

    /// <summary>How persisting node status to the system DB and the status file is going (set once started).</summary>
    public CatalogState Catalog { get; } = new();

    /// <summary>
    /// pool_hba.conf records in force when <c>enable_pool_hba</c> is on (swapped whole on reload); null when
    /// client authentication is off.
    /// </summary>
    public IReadOnlyList<Hba.HbaRule>? HbaRules { get; set; }

    /// <summary>
    /// TLS in force (certificates, CA, backend mode), swapped whole on reload; null when TLS is off on both sides.
    /// </summary>
    public ProxyTls? Tls
    {
        get => Volatile.Read(ref _tls);
        set => Volatile.Write(ref _tls, value);
    }

    /// <summary>How new backend connections are made; tests swap in an in-memory connector.</summary>
    public IBackendConnector BackendConnector { get; set; }

    /// <summary>Cancelled when a fast or immediate shutdown starts: sessions end and roll back.</summary>
    public CancellationTokenSource Shutdown { get; } = new();

    /// <summary>
    /// pool_passwd in force (swapped whole on reload): client passwords and the secrets for the backends.
    /// </summary>
    public PoolPasswd PoolPasswd { get; set; } = PoolPasswd.Empty;

    /// <summary>Connections that have not finished authenticating (<c>max_authenticating_connections</c>).</summary>
    public AuthenticationLimiter Authenticating { get; } = new();

    /// <summary>What the main node asked each (user, database) for lately, when pool_hba.conf is off.</summary>
    public MainNodeAuthCache MainNodeAuth { get; }

    private void CountDegeneration(NodeStatusChange change)
    {
        if (change.Current == BackendStatus.Down)
        {
            Nodes.Find(change.NodeId)?.Statistics.CountDegeneration();
        }
    }

    /// <summary>The cap on connections still authenticating: the setting, or twice <c>num_init_children</c>.</summary>
    public int MaxAuthenticating
    {
        get
        {
            var options = _options;
            return options.MaxAuthenticatingConnections > 0
                ? options.MaxAuthenticatingConnections
                : 2 * options.NumInitChildren;
        }
    }

    /// <summary>
    /// The cap on connections from one address still authenticating: the setting, or half of
    /// <see cref="MaxAuthenticating"/>, so that one address alone never reaches the overall cap and makes others'
    /// connections the oldest to drop.
    /// </summary>
    public int MaxAuthenticatingPerAddress =>
        _options.MaxAuthenticatingConnectionsPerAddress is > 0 and var perAddress
            ? perAddress
            : Math.Max(1, MaxAuthenticating / 2);
}

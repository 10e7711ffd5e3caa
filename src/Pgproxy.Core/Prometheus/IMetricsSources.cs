using Microsoft.Extensions.Logging;
using Pgproxy.Core.Backends;
using Pgproxy.Core.Config;
using Pgproxy.Core.Consistency;
using Pgproxy.Core.Metrics;
using Pgproxy.Core.Replication;

namespace Pgproxy.Core.Prometheus;

/// <summary>
/// What <c>GET /metrics</c> reads (<see cref="MetricsReport"/>) and what its endpoint needs to start; implemented
/// by the host.
/// </summary>
internal interface IMetricsSources
{
    ProxyOptions Options { get; }

    ILoggerFactory LoggerFactory { get; }

    DateTimeOffset StartedAt { get; }

    /// <summary>Proxy-wide counters: sessions, statement latency.</summary>
    ProxyMetrics Metrics { get; }

    BackendNodeSet Nodes { get; }

    /// <summary>The connection cache (its idle connections per node).</summary>
    BackendPool Pool { get; }

    /// <summary>Client slots held now (<c>num_init_children</c> caps them).</summary>
    int ClientSlotsInUse { get; }

    /// <summary>The backend connections of each session now open, one sequence per session.</summary>
    IEnumerable<IEnumerable<BackendConnection>> SessionBackends { get; }

    /// <summary>The consistency checks; null until the server has started them.</summary>
    ConsistencyChecker? Checks { get; }

    WriteGate WriteGate { get; }

    /// <summary>replication_commit as it is in effect, and what two-phase commit did.</summary>
    TwoPhaseCommitState TwoPhase { get; }

    /// <summary>The order of schema changes, and how often one ran again for the OIDs it drew.</summary>
    CatalogWriteOrder CatalogWrites { get; }

    /// <summary>Autocommit writes run again because their nodes' row counts differed.</summary>
    WriteReruns Reruns { get; }
}

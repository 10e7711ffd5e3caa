using Pgproxy.Core.Backends;
using Pgproxy.Core.Health;
using Pgproxy.Core.Metrics;
using Pgproxy.Core.Routing;

namespace Pgproxy.Core.Replication;

/// <summary>
/// What replication sessions and the prepared-transaction resolver share with the rest of the proxy: the current
/// configuration, the nodes and their connection cache, routing, the commit protocol's state, the write gate, the
/// schema-change hold and the order of catalog writes, metrics, and the proxy's clock and shutdown. Built by the host.
/// </summary>
internal interface IReplicationServices : INodeLogin
{
    TimeProvider Time { get; }

    BackendNodeSet Nodes { get; }

    BackendPool Pool { get; }

    RoutingPolicy RoutingPolicy { get; }

    LoadBalancePolicy LoadBalance { get; }

    ProxyMetrics Metrics { get; }

    TwoPhaseCommitState TwoPhase { get; }

    WriteGate WriteGate { get; }

    SchemaChangeHold SchemaChanges { get; }

    /// <summary>Writes that create, alter or drop, one at a time, so every node numbers OIDs alike.</summary>
    CatalogWriteOrder CatalogWrites { get; }

    /// <summary>Autocommit writes run again because their nodes' row counts differed.</summary>
    WriteReruns Reruns { get; }

    /// <summary>pg_terminate_backend calls, so a session's next read asks main whether it was the one ended.</summary>
    BackendSignals Signals { get; }

    /// <summary>Cancelled when a fast or immediate shutdown starts.</summary>
    CancellationTokenSource Shutdown { get; }
}

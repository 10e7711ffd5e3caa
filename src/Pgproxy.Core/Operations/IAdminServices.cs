using Microsoft.Extensions.Logging;
using Pgproxy.Core.Backends;
using Pgproxy.Core.Config;
using Pgproxy.Core.Consistency;
using Pgproxy.Core.Health;
using Pgproxy.Core.Recovery;
using Pgproxy.Core.Replication;

namespace Pgproxy.Core.Operations;

/// <summary>
/// The services the admin commands and reports use: the nodes they attach, detach and show, the checks and
/// recoveries they start, and what the reports read. Implemented by the host.
/// </summary>
internal interface IAdminServices
{
    ProxyOptions Options { get; }

    BackendNodeSet Nodes { get; }

    /// <summary>The connection cache (<c>SHOW POOL_POOLS</c> lists its idle connections).</summary>
    BackendPool Pool { get; }

    /// <summary>The sessions now open.</summary>
    IEnumerable<IAdminSession> Sessions { get; }

    /// <summary>The consistency checks; null until the server has started them.</summary>
    ConsistencyChecker? Checks { get; }

    /// <summary>The recoveries; null until the server has started them.</summary>
    RecoveryService? Recoveries { get; }

    WriteGate WriteGate { get; }

    /// <summary>replication_commit as it is in effect.</summary>
    TwoPhaseCommitState TwoPhase { get; }

    /// <summary>Health check counters by node id.</summary>
    IReadOnlyDictionary<int, HealthCheckStats> HealthStats { get; }

    /// <summary>Cancelled when a fast or immediate shutdown starts.</summary>
    CancellationTokenSource Shutdown { get; }

    ILoggerFactory LoggerFactory { get; }

    TimeProvider Time { get; }

    DateTimeOffset StartedAt { get; }
}

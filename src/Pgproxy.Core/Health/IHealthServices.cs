using Pgproxy.Core.Backends;

namespace Pgproxy.Core.Health;

/// <summary>
/// The services the <see cref="HealthChecker"/> uses beyond logging in: the nodes, the clock, its counters.
/// </summary>
internal interface IHealthServices : INodeLogin
{
    BackendNodeSet Nodes { get; }

    TimeProvider Time { get; }

    /// <summary>Health check counters by node id.</summary>
    IReadOnlyDictionary<int, HealthCheckStats> HealthStats { get; }
}

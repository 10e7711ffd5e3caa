using Pgproxy.Core.Backends;
using Pgproxy.Core.Health;
using Pgproxy.Core.Replication;

namespace Pgproxy.Core.Consistency;

/// <summary>
/// The services the <see cref="ConsistencyChecker"/> uses: logging in to the nodes as the health check does, the
/// nodes, the clock, and the write gate it closes to take a common cut.
/// </summary>
internal interface IConsistencyServices : INodeLogin
{
    BackendNodeSet Nodes { get; }

    TimeProvider Time { get; }

    WriteGate WriteGate { get; }
}

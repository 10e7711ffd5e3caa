using Pgproxy.Core.Backends;
using Pgproxy.Core.Consistency;
using Pgproxy.Core.Health;
using Pgproxy.Core.Replication;

namespace Pgproxy.Core.Recovery;

/// <summary>
/// The services a recovery uses: logging in to the nodes, the nodes, the clock, the consistency checks it runs
/// after the cutover, the write gate and schema change hold it closes, and the sessions' connections it counts.
/// </summary>
internal interface IRecoveryServices : INodeLogin
{
    BackendNodeSet Nodes { get; }

    TimeProvider Time { get; }

    /// <summary>The consistency checks; null until the server has started them.</summary>
    ConsistencyChecker? Checks { get; }

    WriteGate WriteGate { get; }

    SchemaChangeHold SchemaChanges { get; }

    /// <summary>The backend connections of each session now open, one sequence per session.</summary>
    IEnumerable<IEnumerable<BackendConnection>> SessionBackends { get; }
}

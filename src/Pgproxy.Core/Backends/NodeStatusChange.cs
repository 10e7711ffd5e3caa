namespace Pgproxy.Core.Backends;

/// <summary>
/// One change of a node's status, as <see cref="BackendNodeSet.StatusChanged"/> reports it: who changed, from
/// what to what, why, and which node was main before and after (-1: none), so that a failover command or the
/// catalog can tell a replica's loss from the main's.
/// </summary>
internal sealed record NodeStatusChange(
    int NodeId,
    BackendStatus Previous,
    BackendStatus Current,
    string Reason,
    DateTimeOffset At,
    int MainBefore,
    int MainAfter);

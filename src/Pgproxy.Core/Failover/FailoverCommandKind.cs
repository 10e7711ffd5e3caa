namespace Pgproxy.Core.Failover;

/// <summary>Which hook a node status change runs.</summary>
internal enum FailoverCommandKind
{
    /// <summary><c>failover_command</c>: a node was degenerated (→ Down).</summary>
    Failover,

    /// <summary><c>failback_command</c>: a down node was attached again (Down → Waiting or Up).</summary>
    Failback,
}

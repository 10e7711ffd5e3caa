namespace Pgproxy.Core.Replication;

/// <summary>What counts as losing a node while a request uses it, and how that loss is explained.</summary>
internal static class NodeFailures
{
    /// <summary>The exceptions a node's connection failing surfaces as (reads, writes, a pipe completed under them).</summary>
    public static bool IsNodeFailure(Exception e) =>
        e is IOException or ObjectDisposedException or InvalidOperationException or OperationCanceledException
            or Protocol.Framing.ProtocolViolationException;

    /// <summary>
    /// Why a link's connection ended: when its node was degenerated meanwhile (the health check found it frozen,
    /// say), the connection was aborted for that reason, which tells the client more than a closed socket.
    /// </summary>
    public static string LostReason(NodeLink link, string failure) =>
        link.Node.Status == Backends.BackendStatus.Down && !link.Detached
            ? $"backend node {link.NodeId} was taken out: {link.Node.LastStatusReason}"
            : failure;
}

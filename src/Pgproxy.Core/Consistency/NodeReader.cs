namespace Pgproxy.Core.Consistency;

/// <summary>
/// One node's snapshot with the pacer that holds its reading to the rate. A node's reader is used by one task at a
/// time: its snapshot is one connection.
/// </summary>
internal sealed record NodeReader(ISnapshotQuery Query, RatePacer Pacer)
{
    public int NodeId => Query.NodeId;
}

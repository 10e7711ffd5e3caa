namespace Pgproxy.Core.Consistency;

/// <summary>What one node holds in one table at the cut: its row count and an order-independent hash of the rows.</summary>
internal sealed record TableDigest(string Relation, int NodeId, long Rows, string Hash);

namespace Pgproxy.Core.Metrics;

/// <summary>
/// How the replication session routed a request, as the metrics count and time it: a read on one node, a write
/// on every node, transaction control, or session state kept alike on every node.
/// </summary>
internal enum StatementClass : byte
{
    Read,
    Write,
    Transaction,
    SessionState,
}

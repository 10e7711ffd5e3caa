namespace Pgproxy.Core.Replication;

/// <summary>
/// A node's connection failed while a request was using it (closed, reset, or the node said it is shutting
/// down). Carries the link so the session can take that node out and decide what the request's client gets.
/// </summary>
internal sealed class NodeFailureException(NodeLink link, string message, Exception? inner = null)
    : IOException(message, inner)
{
    public NodeLink Link { get; } = link;
}

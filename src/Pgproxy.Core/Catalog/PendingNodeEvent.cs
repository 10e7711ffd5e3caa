using Pgproxy.Core.Backends;

namespace Pgproxy.Core.Catalog;

/// <summary>
/// A status change waiting to be written to <c>node_events</c>. <see cref="Uid"/> is chosen once, here, so that
/// a batch whose COMMIT was lost with the connection is not written twice when it is replayed.
/// </summary>
internal sealed record PendingNodeEvent(Guid Uid, NodeStatusChange Change);

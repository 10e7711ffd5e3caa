using Pgproxy.Core.Backends;

namespace Pgproxy.Core.Replication;

/// <summary>
/// A node attached (or recovered) after this session connected: the session has no connection to it, so whatever it
/// writes from now on would reach the other nodes only, and a transaction it opened before the attach would commit
/// without that node. pgpool-II restarts every child at a failback; pgproxy ends only the sessions that lack the
/// node, at their next write or commit, with FATAL 57P01 — before anything of theirs commits anywhere, so the
/// transaction rolls back as the connections close — and the client reconnects to every node. Reads go on (they
/// read main). The check is one counter comparison per write; the node list is looked at only after an attach.
/// </summary>
internal sealed partial class ReplicationSession
{
    private long _attachmentsSeen = -1;

    /// <summary>Ends the session (see the class remarks) when a node is up that the session has no link to.</summary>
    public void ThrowIfANodeWasAttached()
    {
        var attachments = _runtime.Nodes.Attachments;
        if (attachments == _attachmentsSeen)
        {
            return;
        }

        foreach (var node in _runtime.Nodes.Nodes)
        {
            if (node.Status != BackendStatus.Down && !Array.Exists(_links, l => l.Node == node && IsLive(l)))
            {
                var message = $"pgproxy: backend node {node.NodeId} was attached after this session connected, " +
                              "so the session cannot write to it; reconnect (an open transaction is rolled back)";
                throw BackendTerminatedException.EndedByPgproxy(MainOrNull ?? _links[0], message);
            }
        }

        _attachmentsSeen = attachments;
    }
}

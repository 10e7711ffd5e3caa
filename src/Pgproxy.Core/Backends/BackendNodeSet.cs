using Pgproxy.Core.Config;

namespace Pgproxy.Core.Backends;

/// <summary>All configured nodes, by id, and the choice of the main node (the live node with the lowest id).</summary>
internal sealed class BackendNodeSet
{
    private readonly TimeProvider _time;
    private volatile BackendNode[] _nodes;
    private long _attachments;

    public BackendNodeSet(IEnumerable<BackendConfig> configs, TimeProvider time)
    {
        _time = time;
        _nodes = configs.OrderBy(c => c.NodeId).Select(c => new BackendNode(c, time)).ToArray();
    }

    public IReadOnlyList<BackendNode> Nodes => _nodes;

    /// <summary>A recovery's cutover under way, and the writes of sessions without some node that it waits for.</summary>
    public NodeJoin Join { get; } = new();

    /// <summary>
    /// Raised after a node is degenerated or attached, on the thread that changed it (often a session's, in
    /// the middle of a statement): handlers must only queue work (catalog writes, failover commands), never
    /// block or do I/O.
    /// </summary>
    public event Action<NodeStatusChange>? StatusChanged;

    /// <summary>The node with id <paramref name="nodeId"/>, or null when no such node is configured.</summary>
    public BackendNode? Find(int nodeId)
    {
        foreach (var node in _nodes)
        {
            if (node.NodeId == nodeId)
            {
                return node;
            }
        }

        return null;
    }

    /// <summary>
    /// Takes a node out for every session: it failed, diverged, or an administrator detached it. Sessions drop
    /// it at their next statement; when it was main, the live node with the next id is main from now on.
    /// Returns false when the node was already down (somebody else reported it first).
    /// </summary>
    public bool Degenerate(BackendNode node, string reason) => Change(node, BackendStatus.Down, reason);

    /// <summary>
    /// Brings a down node back (PGPROXY ATTACH NODE, or a status file discarded): it is Waiting until a session
    /// connects to it. Returns false when the node was not down.
    /// </summary>
    public bool Attach(BackendNode node, string reason)
    {
        if (node.Status != BackendStatus.Down || !Change(node, BackendStatus.Waiting, reason))
        {
            return false;
        }

        Interlocked.Increment(ref _attachments);
        return true;
    }

    /// <summary>
    /// Waiting → Up, reported like any other change (catalog, status file): a session or the health check reached
    /// an attached or newly started node. Nothing else becomes up here: a connection that succeeds just after
    /// another session degenerated the node must not bring it back. Returns false when the node was not waiting,
    /// which is the usual case and costs one compare-and-swap.
    /// </summary>
    public bool MarkUp(BackendNode node, string reason)
    {
        ArgumentNullException.ThrowIfNull(node);
        if (!node.TryMarkUp(_time))
        {
            return false;
        }

        var main = MainNode?.NodeId ?? -1;
        StatusChanged?.Invoke(new NodeStatusChange(node.NodeId, BackendStatus.Waiting, BackendStatus.Up, reason,
            node.LastStatusChange, main, main));
        return true;
    }

    /// <summary>
    /// How many times a down node was attached since start: a session that sees it change looks whether it lacks a
    /// node that is up now (see <c>ReplicationSession.ThrowIfANodeWasAttached</c>).
    /// </summary>
    public long Attachments => Interlocked.Read(ref _attachments);

    private bool Change(BackendNode node, BackendStatus status, string reason)
    {
        var mainBefore = MainNode?.NodeId ?? -1;
        if (!node.TrySetStatus(status, _time, reason, out var previous))
        {
            return false;
        }

        StatusChanged?.Invoke(new NodeStatusChange(node.NodeId, previous, status, reason, node.LastStatusChange,
            mainBefore, MainNode?.NodeId ?? -1));
        return true;
    }

    /// <summary>The live node with the lowest id, or null when every node is down.</summary>
    public BackendNode? MainNode
    {
        get
        {
            foreach (var node in _nodes)
            {
                if (node.Status != BackendStatus.Down)
                {
                    return node;
                }
            }

            return null;
        }
    }

    /// <summary>
    /// Applies reloadable per-node settings (weight, flag). Adding or removing nodes, or moving one, needs a
    /// restart, which the reload reports; here such changes are ignored.
    /// </summary>
    public void ApplyReload(IReadOnlyList<BackendConfig> configs)
    {
        var changed = false;
        foreach (var node in _nodes)
        {
            var updated = configs.FirstOrDefault(c => c.NodeId == node.NodeId);
            if (updated is not null && updated.Hostname == node.Config.Hostname && updated.Port == node.Config.Port)
            {
                changed |= updated.Weight != node.Config.Weight || updated.Flag != node.Config.Flag;
                node.Config = updated;
            }
        }

        if (changed)
        {
            Reconfigured?.Invoke();
        }
    }

    /// <summary>
    /// Raised after a reload changed a node's weight or flag, so that the catalog's node rows are rewritten.
    /// Like <see cref="StatusChanged"/>, handlers only queue work.
    /// </summary>
    public event Action? Reconfigured;

    public TimeProvider Time => _time;
}

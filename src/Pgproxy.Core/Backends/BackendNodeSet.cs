using Pgproxy.Core.Config;

namespace Pgproxy.Core.Backends;

/// <summary>All configured nodes, by id, and the choice of the main node (the live node with the lowest id).</summary>
internal sealed class BackendNodeSet
{
    private readonly TimeProvider _time;
    private volatile BackendNode[] _nodes;

    public BackendNodeSet(IEnumerable<BackendConfig> configs, TimeProvider time)
    {
        _time = time;
        _nodes = configs.OrderBy(c => c.NodeId).Select(c => new BackendNode(c, time)).ToArray();
    }

    public IReadOnlyList<BackendNode> Nodes => _nodes;

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
        foreach (var node in _nodes)
        {
            var updated = configs.FirstOrDefault(c => c.NodeId == node.NodeId);
            if (updated is not null && updated.Hostname == node.Config.Hostname && updated.Port == node.Config.Port)
            {
                node.Config = updated;
            }
        }
    }

    public TimeProvider Time => _time;
}

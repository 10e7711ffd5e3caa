using Pgproxy.Core.Backends;

namespace Pgproxy.Core.Catalog;

/// <summary>
/// Decides at start which nodes stay down: per node, the later of the status file's and the catalog's record
/// (the file on a tie: it is written first, on every change), and the node starts down when that record says
/// down. As in pgpool, a saved state with every node down is taken for bogus and ignored: pgproxy then starts
/// with every node waiting instead of refusing all clients.
/// </summary>
internal static class NodeStatusRestore
{
    public const string FromStatusFile = "status file";
    public const string FromCatalog = "system DB";

    /// <summary>The nodes to start down; empty when none, or when the records would take every node down.</summary>
    public static IReadOnlyList<RestoredNode> Decide(IReadOnlyList<BackendNode> nodes,
        IReadOnlyList<SavedNodeStatus> statusFile, IReadOnlyList<SavedNodeStatus> catalog, out bool allDownIgnored)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        var down = new List<RestoredNode>();
        foreach (var node in nodes)
        {
            var fromFile = statusFile.FirstOrDefault(s => s.NodeId == node.NodeId);
            var fromCatalog = catalog.FirstOrDefault(s => s.NodeId == node.NodeId);
            var chosen = (fromFile, fromCatalog) switch
            {
                (null, null) => null,
                ({ } f, null) => new RestoredNode(f, FromStatusFile),
                (null, { } c) => new RestoredNode(c, FromCatalog),
                ({ } f, { } c) => f.ChangedAt >= c.ChangedAt
                    ? new RestoredNode(f, FromStatusFile)
                    : new RestoredNode(c, FromCatalog),
            };
            if (chosen?.Saved.Status == BackendStatus.Down)
            {
                down.Add(chosen);
            }
        }

        allDownIgnored = down.Count > 0 && down.Count == nodes.Count;
        return allDownIgnored ? [] : down;
    }

    /// <summary>Marks each restored node down with the time and reason it went down, without reporting it.</summary>
    public static void Apply(BackendNodeSet nodes, IReadOnlyList<RestoredNode> restored)
    {
        foreach (var entry in restored)
        {
            nodes.Find(entry.Saved.NodeId)?.RestoreStatus(BackendStatus.Down, entry.Saved.ChangedAt,
                entry.Saved.Reason);
        }
    }
}

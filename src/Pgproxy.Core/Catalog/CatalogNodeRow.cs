using Pgproxy.Core.Backends;

namespace Pgproxy.Core.Catalog;

/// <summary>A row of the catalog's <c>nodes</c> table: one node as it is now.</summary>
internal sealed record CatalogNodeRow(int NodeId, string Hostname, int Port, BackendStatus Status, string Role,
    double Weight, DateTimeOffset LastStatusChange, string Reason)
{
    /// <summary>Every node of <paramref name="nodes"/> as it is at this moment.</summary>
    public static IReadOnlyList<CatalogNodeRow> Snapshot(BackendNodeSet nodes)
    {
        var main = nodes.MainNode;
        var rows = new List<CatalogNodeRow>(nodes.Nodes.Count);
        foreach (var node in nodes.Nodes)
        {
            var config = node.Config;
            rows.Add(new CatalogNodeRow(node.NodeId, config.Hostname, config.Port, node.Status,
                node == main ? "main" : "replica", config.Weight, node.LastStatusChange, node.LastStatusReason));
        }

        return rows;
    }
}

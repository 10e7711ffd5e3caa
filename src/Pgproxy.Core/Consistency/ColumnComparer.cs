namespace Pgproxy.Core.Consistency;

/// <summary>
/// Says how a table's column definitions on a node differ from main's: names and order, then each column's type
/// and NOT NULL, then the primary key. Null when they are alike; rows of such a table are only compared when alike,
/// since a row's text (and so its hash) follows the columns.
/// </summary>
internal static class ColumnComparer
{
    public static string? Difference(CatalogRelation main, int mainId, CatalogRelation node, int nodeId)
    {
        var parts = new List<string>();
        var mainNames = main.Columns.Select(c => c.Name).ToList();
        var nodeNames = node.Columns.Select(c => c.Name).ToList();
        if (!mainNames.SequenceEqual(nodeNames, StringComparer.Ordinal))
        {
            parts.Add($"columns ({string.Join(", ", mainNames)}) on node {mainId}, ({string.Join(", ", nodeNames)}) on node {nodeId}");
        }
        else
        {
            for (var i = 0; i < main.Columns.Count; i++)
            {
                var (a, b) = (main.Columns[i], node.Columns[i]);
                if (!string.Equals(a.Type, b.Type, StringComparison.Ordinal))
                {
                    parts.Add($"{a.Name} {a.Type} on node {mainId}, {b.Type} on node {nodeId}");
                }

                if (a.NotNull != b.NotNull)
                {
                    parts.Add($"{a.Name} {Nullability(a)} on node {mainId}, {Nullability(b)} on node {nodeId}");
                }
            }
        }

        var mainKey = main.PrimaryKey.Select(c => c.Name).ToList();
        var nodeKey = node.PrimaryKey.Select(c => c.Name).ToList();
        if (!mainKey.SequenceEqual(nodeKey, StringComparer.Ordinal))
        {
            parts.Add($"primary key {Key(mainKey)} on node {mainId}, {Key(nodeKey)} on node {nodeId}");
        }

        return parts.Count == 0 ? null : string.Join("; ", parts);
    }

    private static string Nullability(CatalogColumn column) => column.NotNull ? "NOT NULL" : "nullable";

    private static string Key(List<string> columns) => columns.Count == 0 ? "none" : "(" + string.Join(", ", columns) + ")";
}

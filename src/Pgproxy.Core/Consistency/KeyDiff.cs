namespace Pgproxy.Core.Consistency;

/// <summary>
/// Says which keys of one range differ between main and a node, given each side's keys and row hashes in key
/// order: <c>id=1500 missing on node 1</c>, <c>id=17 differs</c>, <c>id=9 only on node 1</c>, in key order.
/// </summary>
internal static class KeyDiff
{
    /// <summary>One row of <see cref="TableQueries.RangeRows"/>: the key's values and the row's hash.</summary>
    internal sealed record KeyedRow(IReadOnlyList<string> Key, string Hash)
    {
        public string Id { get; } = string.Join('\u0001', Key);

        public static KeyedRow From(string?[] row) => new([.. row[..^1].Select(v => v!)], row[^1]!);
    }

    /// <summary>
    /// At most <paramref name="limit"/> differing keys. Both lists come from the same ORDER BY, so a merge walk gives
    /// key order without comparing values here; every verdict itself is a lookup, so even two nodes that sort
    /// differently (another collation) get right verdicts, only in a less tidy order.
    /// </summary>
    public static IReadOnlyList<string> Compare(IReadOnlyList<CatalogColumn> key, IReadOnlyList<KeyedRow> main,
        IReadOnlyList<KeyedRow> node, int nodeId, int limit)
    {
        var onMain = main.ToDictionary(r => r.Id, r => r.Hash, StringComparer.Ordinal);
        var onNode = node.ToDictionary(r => r.Id, r => r.Hash, StringComparer.Ordinal);
        var found = new List<string>();
        int i = 0, j = 0;
        while ((i < main.Count || j < node.Count) && found.Count < limit)
        {
            if (i < main.Count && j < node.Count && main[i].Id == node[j].Id)
            {
                if (main[i].Hash != node[j].Hash)
                {
                    found.Add($"{KeyRange.DescribeKey(key, main[i].Key)} differs");
                }

                i++;
                j++;
            }
            else if (j < node.Count && !onMain.ContainsKey(node[j].Id))
            {
                found.Add($"{KeyRange.DescribeKey(key, node[j].Key)} only on node {nodeId}");
                j++;
            }
            else if (i < main.Count)
            {
                if (!onNode.TryGetValue(main[i].Id, out var hash))
                {
                    found.Add($"{KeyRange.DescribeKey(key, main[i].Key)} missing on node {nodeId}");
                }
                else if (hash != main[i].Hash)
                {
                    found.Add($"{KeyRange.DescribeKey(key, main[i].Key)} differs");
                }

                i++;
            }
            else
            {
                // A key on both sides that main's walk already judged (the two sides sorted it differently).
                j++;
            }
        }

        return found;
    }
}

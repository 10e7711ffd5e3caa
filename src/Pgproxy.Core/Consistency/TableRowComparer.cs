using System.Globalization;

namespace Pgproxy.Core.Consistency;

/// <summary>
/// Compares one table's rows on every node against main (<c>nodes[0]</c>); the caller has already found their
/// columns alike. With a primary key the table is read in key-range chunks of <see cref="CheckSettings.ChunkRows"/>
/// rows, boundaries taken from main in key order, every node hashing each range at once, its pacer waiting between
/// chunks; ranges that differ and are small enough are then read key by key on both sides. Without one, the whole
/// table is hashed in one query.
/// </summary>
internal sealed class TableRowComparer(CheckSettings settings, CheckProgress progress, string database)
{
    /// <summary>
    /// A differing range is read key by key only when it holds at most this many rows on both sides: reading keys
    /// and hashes of a default chunk (10,000 rows) costs about as much as hashing it did, and a range that has grown
    /// far beyond its chunk (a node holding many extra rows) is better named than listed.
    /// </summary>
    internal const int KeyListRowLimit = 20_000;

    /// <summary>Ranges named per finding; the rest are counted, so a table that differs everywhere stays one line.</summary>
    internal const int MaxRangesListed = 100;

    public async Task<(IReadOnlyList<TableDigest> Digests, IReadOnlyList<CheckFinding> Findings)> CompareAsync(
        CatalogRelation table, IReadOnlyList<NodeReader> nodes, CancellationToken cancellationToken)
    {
        var queries = new TableQueries(table);
        var relation = table.Relation;
        foreach (var node in nodes)
        {
            progress.Start(database, relation, node.NodeId, table.EstimatedRows);
            node.Pacer.Start();
        }

        var totals = new RangeDigest[nodes.Count];
        var differing = nodes.Select(_ => new List<(KeyRange Range, RangeDigest Main, RangeDigest Node)>()).ToArray();
        IReadOnlyList<string>? low = null;
        var ordinal = 0;
        var boundaries = new HashSet<string>(StringComparer.Ordinal);
        while (true)
        {
            var high = table.PrimaryKey.Count == 0 ? null : await NextBoundaryAsync(queries, nodes[0], low, cancellationToken);
            if (high is not null && !boundaries.Add(string.Join('\u0001', high)))
            {
                // A key whose text does not read back as the same value (a type without an exact text form) made
                // the walk stand still: hash the rest as one last range rather than loop, the same on every node.
                high = null;
            }

            var range = new KeyRange(low, high) { Ordinal = ordinal++ };
            var digests = await Task.WhenAll(nodes.Select(n => HashRangeAsync(queries, n, range, cancellationToken)));
            for (var i = 0; i < nodes.Count; i++)
            {
                totals[i] = new RangeDigest(totals[i].Rows + digests[i].Rows, totals[i].Hash + digests[i].Hash);
                if (i > 0 && digests[i] != digests[0])
                {
                    differing[i].Add((range, digests[0], digests[i]));
                }
            }

            if (high is null)
            {
                break;
            }

            low = high;
        }

        for (var i = 0; i < nodes.Count; i++)
        {
            progress.Finish(database, relation, nodes[i].NodeId, totals[i].Rows);
        }

        var keys = table.PrimaryKey.Count == 0
            ? nodes.Select(_ => (IReadOnlyList<string>)[]).ToArray()
            : await ListKeysAsync(queries, nodes, differing, cancellationToken);
        var findings = new List<CheckFinding>();
        for (var i = 1; i < nodes.Count; i++)
        {
            if (totals[i] == totals[0])
            {
                continue;
            }

            var detail = totals[i].Rows != totals[0].Rows
                ? $"rows {totals[0].Rows} on node {nodes[0].NodeId}, {totals[i].Rows} on node {nodes[i].NodeId}"
                : "same count, different contents";
            findings.Add(new CheckFinding(FindingKind.RowsDiffer, database, relation, nodes[i].NodeId, detail,
                DescribeRanges(table, differing[i]), keys[i]));
        }

        var tableDigests = nodes.Select((n, i) => new TableDigest(relation, n.NodeId, totals[i].Rows,
            totals[i].Hash.ToString(CultureInfo.InvariantCulture))).ToList();
        return (tableDigests, findings);
    }

    private async Task<IReadOnlyList<string>?> NextBoundaryAsync(TableQueries queries, NodeReader main,
        IReadOnlyList<string>? low, CancellationToken cancellationToken)
    {
        var rows = await main.Query.QueryAsync(queries.NextBoundary(low, settings.ChunkRows), cancellationToken);
        return rows.Count == 0 ? null : [.. rows[0].Select(v => v!)];
    }

    private async Task<RangeDigest> HashRangeAsync(TableQueries queries, NodeReader node, KeyRange range,
        CancellationToken cancellationToken)
    {
        var digest = RangeDigest.Parse(await node.Query.QueryAsync(queries.RangeHash(range), cancellationToken));
        progress.Advance(database, queries.Table.Relation, node.NodeId, digest.Rows);
        await node.Pacer.PaceAsync(digest.Rows, cancellationToken);
        return digest;
    }

    /// <summary>
    /// The differing keys per node, range by range in key order, until each node has
    /// <see cref="CheckSettings.MaxKeysListed"/>. Main's rows of a range are read once for every node that differs
    /// there, at the same time as those nodes' rows (each node its own connection).
    /// </summary>
    private async Task<IReadOnlyList<string>[]> ListKeysAsync(TableQueries queries, IReadOnlyList<NodeReader> nodes,
        List<(KeyRange Range, RangeDigest Main, RangeDigest Node)>[] differing, CancellationToken cancellationToken)
    {
        var keys = nodes.Select(_ => new List<string>()).ToArray();
        var ranges = differing.SelectMany(d => d.Select(r => r.Range)).Distinct().ToList();
        foreach (var range in ranges.OrderBy(r => r.Ordinal))
        {
            var readers = Enumerable.Range(1, nodes.Count - 1)
                .Where(i => keys[i].Count < settings.MaxKeysListed
                    && differing[i].Any(d => d.Range == range && d.Main.Rows <= KeyListRowLimit && d.Node.Rows <= KeyListRowLimit))
                .ToList();
            if (readers.Count == 0)
            {
                continue;
            }

            var reads = await Task.WhenAll(readers.Prepend(0)
                .Select(i => ReadRangeRowsAsync(queries, nodes[i], range, cancellationToken)));
            for (var r = 0; r < readers.Count; r++)
            {
                var i = readers[r];
                var found = KeyDiff.Compare(queries.Key, reads[0], reads[r + 1], nodes[i].NodeId,
                    settings.MaxKeysListed - keys[i].Count);
                keys[i].AddRange(found);
            }
        }

        return [.. keys.Select(k => (IReadOnlyList<string>)k)];
    }

    private static async Task<IReadOnlyList<KeyDiff.KeyedRow>> ReadRangeRowsAsync(TableQueries queries,
        NodeReader node, KeyRange range, CancellationToken cancellationToken)
    {
        var rows = await node.Query.QueryAsync(queries.RangeRows(range), cancellationToken);
        await node.Pacer.PaceAsync(rows.Count, cancellationToken);
        return [.. rows.Select(KeyDiff.KeyedRow.From)];
    }

    private static List<string> DescribeRanges(CatalogRelation table,
        List<(KeyRange Range, RangeDigest Main, RangeDigest Node)> differing)
    {
        if (table.PrimaryKey.Count == 0)
        {
            return [];
        }

        var named = differing.Take(MaxRangesListed).Select(d => d.Range.Describe(table.PrimaryKey)).ToList();
        if (differing.Count > MaxRangesListed)
        {
            named.Add($"and {differing.Count - MaxRangesListed} more ranges");
        }

        return named;
    }
}

namespace Pgproxy.Core.Consistency;

/// <summary>
/// Compares one database's snapshots on every node against main's: which tables and sequences exist, their
/// columns, their rows (chunked by primary key, see <see cref="TableRowComparer"/>) and sequence values. Every name
/// in its SQL comes from the catalog, quoted by PostgreSQL; the user's table names only filter. Each node's reading
/// is paced to <see cref="CheckSettings.RowsPerSecond"/> for the whole database.
/// </summary>
internal sealed class DatabaseComparer(CheckSettings settings, CheckProgress progress, TimeProvider time)
{
    /// <summary>
    /// <paramref name="nodes"/>[0] is main; every other node is compared against it. <paramref name="tables"/>:
    /// names from the user (<c>name</c> matches that table in any schema, <c>schema.name</c> exactly); empty = every
    /// user table and sequence.
    /// </summary>
    public async Task<DatabaseCheck> CompareAsync(string database, IReadOnlyList<ISnapshotQuery> nodes,
        IReadOnlyCollection<string> tables, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfZero(nodes.Count);
        var readers = nodes.Select(n => new NodeReader(n, new RatePacer(settings.RowsPerSecond, time))).ToList();
        var catalogs = await Task.WhenAll(readers.Select(r => CatalogReader.ReadAsync(r.Query, cancellationToken)));
        var wanted = catalogs.SelectMany(c => c.Values)
            .Where(r => tables.Count == 0 || tables.Any(r.Matches))
            .Select(r => (r.Relation, r.IsSequence))
            .Distinct()
            .OrderBy(r => r.Relation, StringComparer.Ordinal)
            .ThenBy(r => r.IsSequence)
            .ToList();
        var unmatched = tables.Where(t => !catalogs.Any(c => c.Values.Any(r => r.Matches(t)))).ToList();

        var digests = new List<TableDigest>();
        var findings = new List<CheckFinding>();
        var rows = new TableRowComparer(settings, progress, database);
        foreach (var (relation, isSequence) in wanted)
        {
            var onNode = catalogs.Select(c => c.GetValueOrDefault(relation) is { } r && r.IsSequence == isSequence ? r : null)
                .ToList();
            findings.AddRange(Missing(database, readers, onNode));
            if (onNode[0] is not { } main)
            {
                continue;
            }

            var present = Enumerable.Range(0, readers.Count).Where(i => onNode[i] is not null).ToList();
            if (isSequence)
            {
                findings.AddRange(await CompareSequenceAsync(database, main, present.Select(i => readers[i]).ToList(),
                    cancellationToken));
                continue;
            }

            var alike = new List<NodeReader>();
            foreach (var i in present)
            {
                var difference = i == 0 ? null : ColumnComparer.Difference(main, readers[0].NodeId, onNode[i]!, readers[i].NodeId);
                if (difference is null)
                {
                    alike.Add(readers[i]);
                }
                else
                {
                    findings.Add(new CheckFinding(FindingKind.ColumnsDiffer, database, relation, readers[i].NodeId,
                        difference, [], []));
                }
            }

            var (tableDigests, tableFindings) = await rows.CompareAsync(main, alike, cancellationToken);
            digests.AddRange(tableDigests);
            findings.AddRange(tableFindings);
        }

        return new DatabaseCheck(database, digests, findings) { UnmatchedTables = unmatched };
    }

    /// <summary>A relation on main but not on a node, or on a node but not on main.</summary>
    private static IEnumerable<CheckFinding> Missing(string database, List<NodeReader> readers,
        List<CatalogRelation?> onNode)
    {
        var main = onNode[0];
        for (var i = 1; i < readers.Count; i++)
        {
            var id = readers[i].NodeId;
            if (main is not null && onNode[i] is null)
            {
                yield return new CheckFinding(FindingKind.RelationMissing, database, main.Relation, id,
                    $"{main.KindName} missing on node {id}", [], []);
            }
            else if (main is null && onNode[i] is { } extra)
            {
                yield return new CheckFinding(FindingKind.RelationMissing, database, extra.Relation, id,
                    $"{extra.KindName} only on node {id}, not on node {readers[0].NodeId}", [], []);
            }
        }
    }

    private static async Task<IReadOnlyList<CheckFinding>> CompareSequenceAsync(string database, CatalogRelation sequence,
        List<NodeReader> nodes, CancellationToken cancellationToken)
    {
        var sql = TableQueries.SequenceState(sequence);
        var states = await Task.WhenAll(nodes.Select(async n =>
        {
            var rows = await n.Query.QueryAsync(sql, cancellationToken);
            return (LastValue: rows[0][0]!, IsCalled: rows[0][1]!);
        }));
        var findings = new List<CheckFinding>();
        for (var i = 1; i < nodes.Count; i++)
        {
            if (states[i] == states[0])
            {
                continue;
            }

            var (mainId, id) = (nodes[0].NodeId, nodes[i].NodeId);
            var detail = states[i].LastValue != states[0].LastValue
                ? $"last_value {states[0].LastValue} on node {mainId}, {states[i].LastValue} on node {id}"
                : $"is_called {states[0].IsCalled} on node {mainId}, {states[i].IsCalled} on node {id}";
            findings.Add(new CheckFinding(FindingKind.SequenceDiffers, database, sequence.Relation, id, detail, [], []));
        }

        return findings;
    }
}

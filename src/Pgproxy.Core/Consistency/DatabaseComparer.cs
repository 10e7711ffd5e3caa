namespace Pgproxy.Core.Consistency;

/// <summary>
/// Compares one database's snapshots on every node against main's: which tables and sequences exist, their
/// columns, their rows (chunked by primary key, see <see cref="TableRowComparer"/>) and sequence values. Every name
/// in its SQL comes from the catalog, quoted by PostgreSQL; the user's table names only filter. Each node's reading
/// is paced to <see cref="CheckSettings.RowsPerSecond"/> for the whole database.
/// </summary>
internal sealed class DatabaseComparer(CheckSettings settings, CheckProgress progress, TimeProvider time)
{
    private const int SequenceReads = 5;
    private static readonly TimeSpan SequenceRereadDelay = TimeSpan.FromMilliseconds(20);

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
        var findings = new List<CheckFinding>();
        if (tables.Count == 0)
        {
            // The whole database: its types' OIDs too (a check of named tables compares just those tables).
            var oids = await Task.WhenAll(readers.Select(r => TypeOids.ReadAsync(r.Query, cancellationToken)));
            findings.AddRange(Enumerable.Range(1, readers.Count - 1)
                .Select(i => TypeOids.Compare(database, readers[0].NodeId, oids[0], readers[i].NodeId, oids[i]))
                .OfType<CheckFinding>());
        }

        var sequences = await ReadSequencesAsync(readers, catalogs, [.. wanted.Where(w => w.IsSequence)
            .Select(w => w.Relation)], cancellationToken);

        var digests = new List<TableDigest>();
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
                findings.AddRange(CompareSequence(database, relation, [.. present.Select(i => (readers[i].NodeId,
                    sequences[i][relation]))]));
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

    /// <summary>
    /// Every node's sequences, read again while they differ: an INSERT main has run and the others not yet (it
    /// reaches them a moment later, whatever the write gate does) moves main's sequence first, so one reading can
    /// differ for a moment where nothing is wrong. A difference that stays over <see cref="SequenceReads"/> readings
    /// <see cref="SequenceRereadDelay"/> apart is a real one.
    /// </summary>
    private async Task<Dictionary<string, (string LastValue, string IsCalled)>[]> ReadSequencesAsync(
        List<NodeReader> readers, IReadOnlyDictionary<string, CatalogRelation>[] catalogs, List<string> relations,
        CancellationToken cancellationToken)
    {
        var states = readers.Select(_ => new Dictionary<string, (string LastValue, string IsCalled)>(StringComparer.Ordinal))
            .ToArray();
        for (var reading = 0; reading < SequenceReads && relations.Count > 0; reading++)
        {
            if (reading > 0)
            {
                await Task.Delay(SequenceRereadDelay, time, cancellationToken);
            }

            var names = relations;
            var read = await Task.WhenAll(readers.Select((r, i) => SequenceStates.ReadAsync(r.Query,
                [.. names.Select(n => catalogs[i].GetValueOrDefault(n)).OfType<CatalogRelation>().Where(c => c.IsSequence)],
                cancellationToken)));
            for (var i = 0; i < read.Length; i++)
            {
                foreach (var (name, state) in read[i])
                {
                    states[i][name] = state;
                }
            }

            relations = [.. relations.Where(n => states.Skip(1).Any(s => s.TryGetValue(n, out var state)
                                                                         && states[0].TryGetValue(n, out var main)
                                                                         && state != main))];
        }

        return states;
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

    /// <summary>Each node's sequence state against main's (the first), as read by <see cref="SequenceStates"/>.</summary>
    private static IEnumerable<CheckFinding> CompareSequence(string database, string relation,
        List<(int NodeId, (string LastValue, string IsCalled) State)> states)
    {
        var (mainId, main) = states[0];
        foreach (var (id, state) in states.Skip(1).Where(s => s.State != main))
        {
            var detail = state.LastValue != main.LastValue
                ? $"last_value {main.LastValue} on node {mainId}, {state.LastValue} on node {id}"
                : $"is_called {main.IsCalled} on node {mainId}, {state.IsCalled} on node {id}";
            yield return new CheckFinding(FindingKind.SequenceDiffers, database, relation, id, detail, [], []);
        }
    }
}

namespace Pgproxy.Core.Consistency;

/// <summary>
/// Reads sequences' states: the value each last handed out and whether nextval has been called since it was set.
/// A sequence is not MVCC — the snapshot does not hold it still, a nextval elsewhere moves it at once — so the
/// comparer reads every sequence of a node in one query, before any table, on every node at the same moment: as near
/// the cut as it can be.
/// </summary>
internal static class SequenceStates
{
    public static async Task<IReadOnlyDictionary<string, (string LastValue, string IsCalled)>> ReadAsync(
        ISnapshotQuery node, IReadOnlyList<CatalogRelation> sequences, CancellationToken cancellationToken)
    {
        if (sequences.Count == 0)
        {
            return new Dictionary<string, (string, string)>();
        }

        var sql = string.Join(" UNION ALL ", sequences.Select(s =>
            $"SELECT {SqlLiteral.Quote(s.Relation)}::text, last_value::text, is_called::text FROM {s.Relation}"));
        var rows = await node.QueryAsync(sql, cancellationToken);
        return rows.ToDictionary(r => r[0]!, r => (r[1]!, r[2]!), StringComparer.Ordinal);
    }
}

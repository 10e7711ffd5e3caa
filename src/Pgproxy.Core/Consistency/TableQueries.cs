using System.Globalization;

namespace Pgproxy.Core.Consistency;

/// <summary>
/// The SQL the comparer runs against one table. Rows are hashed as <c>hashtextextended(t.*::text, 0)</c> — the
/// row's text form, which the snapshot's fixed output settings make the same on every node for the same data —
/// and summed as numeric, so the table's hash does not depend on row order and cannot overflow. <c>FROM ONLY</c>
/// so a parent of classic inheritance is not counted with its children (each child is a table of its own).
/// </summary>
internal sealed class TableQueries(CatalogRelation table)
{
    private const string RowHash = "pg_catalog.hashtextextended((t.*)::text, 0)";

    /// <summary>
    /// The key columns for ORDER BY, qualified: a bare name would mean the <c>::text</c> output column of the same
    /// name, and the rows would be sorted as text (10 before 9).
    /// </summary>
    private readonly string _keyList = string.Join(", ", table.PrimaryKey.Select(c => "t." + c.Name));

    public CatalogRelation Table => table;

    public IReadOnlyList<CatalogColumn> Key => table.PrimaryKey;

    /// <summary>Row count and hash sum of a range, both as text (an empty range sums to 0).</summary>
    public string RangeHash(KeyRange range) =>
        $"SELECT pg_catalog.count(*)::text, COALESCE(pg_catalog.sum({RowHash}), 0)::text FROM ONLY {table.Relation} AS t{range.Where(Key)}";

    /// <summary>
    /// The first key at or after <paramref name="low"/> that lies <paramref name="chunkRows"/> rows further on in
    /// key order (no row: the rest of the table fits in one chunk). Walks the primary key's index, pt-table-checksum
    /// style, so finding a boundary never reads the table.
    /// </summary>
    public string NextBoundary(IReadOnlyList<string>? low, int chunkRows)
    {
        var select = string.Join(", ", Key.Select(c => c.Name + "::text"));
        var from = new KeyRange(low, null).Where(Key);
        return $"SELECT {select} FROM ONLY {table.Relation} AS t{from} ORDER BY {_keyList} OFFSET {chunkRows.ToString(CultureInfo.InvariantCulture)} LIMIT 1";
    }

    /// <summary>Every key in a range with its row's hash, in key order, to say which keys differ.</summary>
    public string RangeRows(KeyRange range)
    {
        var select = string.Join(", ", Key.Select(c => c.Name + "::text"));
        return $"SELECT {select}, {RowHash}::text FROM ONLY {table.Relation} AS t{range.Where(Key)} ORDER BY {_keyList}";
    }
}

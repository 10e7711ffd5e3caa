namespace Pgproxy.Core.Consistency;

/// <summary>
/// A table (leaf of a partitioned table included) or a sequence on one node. <paramref name="Relation"/> is
/// <c>schema.name</c> quoted by PostgreSQL itself, so it can go into SQL as is and is what findings name;
/// <paramref name="Schema"/> and <paramref name="Name"/> are the raw names, only for matching the user's --table
/// filter. <paramref name="PrimaryKey"/> holds the key columns in key order (empty: no primary key);
/// <paramref name="EstimatedRows"/> is pg_class.reltuples (0 when never analyzed).
/// </summary>
internal sealed record CatalogRelation(
    string Relation,
    string Schema,
    string Name,
    bool IsSequence,
    long EstimatedRows,
    IReadOnlyList<CatalogColumn> Columns,
    IReadOnlyList<CatalogColumn> PrimaryKey)
{
    public string KindName => IsSequence ? "sequence" : "table";

    /// <summary>Whether the user's <paramref name="filter"/> names it: <c>name</c> in any schema, or <c>schema.name</c>.</summary>
    public bool Matches(string filter) =>
        string.Equals(filter, Name, StringComparison.Ordinal)
        || string.Equals(filter, Schema + "." + Name, StringComparison.Ordinal)
        || string.Equals(filter, Relation, StringComparison.Ordinal);
}

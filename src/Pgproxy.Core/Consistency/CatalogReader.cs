using System.Globalization;

namespace Pgproxy.Core.Consistency;

/// <summary>
/// Reads one node's user tables and sequences, with their columns and primary keys, from inside its snapshot.
/// Names come back quoted by PostgreSQL (quote_ident) and types from format_type, so two nodes that agree print
/// the same text and the comparer never quotes a name itself.
/// </summary>
internal static class CatalogReader
{
    /// <summary>
    /// User schemas only. Partitioned parents ('p') hold no rows — their leaves are plain 'r' tables and are read
    /// one by one; views, foreign tables and materialized views are not replicated data.
    /// </summary>
    internal const string UserSchemas = """
        n.nspname NOT IN ('pg_catalog', 'information_schema')
          AND n.nspname NOT LIKE 'pg\_toast%'
          AND n.nspname NOT LIKE 'pg\_temp\_%'
        """;

    private const string UserRelations = $"""
        FROM pg_catalog.pg_class c
        JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'S')
          AND {UserSchemas}
        """;

    private const string RelationsSql = $"""
        SELECT pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname),
               n.nspname::text, c.relname::text, c.relkind::text,
               GREATEST(c.reltuples, 0)::bigint::text
        {UserRelations}
        """;

    public static async Task<IReadOnlyDictionary<string, CatalogRelation>> ReadAsync(ISnapshotQuery node,
        CancellationToken cancellationToken)
    {
        var relations = await node.QueryAsync(RelationsSql, cancellationToken);
        var columns = await node.QueryAsync(ColumnsSql, cancellationToken);
        var columnsByRelation = new Dictionary<string, List<(CatalogColumn Column, int? KeyPlace)>>(StringComparer.Ordinal);
        foreach (var row in columns)
        {
            var relation = row[0]!;
            if (!columnsByRelation.TryGetValue(relation, out var list))
            {
                columnsByRelation[relation] = list = [];
            }

            var column = new CatalogColumn(row[1]!, row[2]!, row[3]!, row[4] == "true");
            list.Add((column, row[5] is { } place ? int.Parse(place, CultureInfo.InvariantCulture) : null));
        }

        var result = new Dictionary<string, CatalogRelation>(StringComparer.Ordinal);
        foreach (var row in relations)
        {
            var relation = row[0]!;
            var own = columnsByRelation.GetValueOrDefault(relation) ?? [];
            result[relation] = new CatalogRelation(
                relation,
                row[1]!,
                row[2]!,
                row[3] == "S",
                long.Parse(row[4]!, CultureInfo.InvariantCulture),
                [.. own.Select(c => c.Column)],
                [.. own.Where(c => c.KeyPlace is not null).OrderBy(c => c.KeyPlace).Select(c => c.Column)]);
        }

        return result;
    }

    /// <summary>One row per live column in column order; the last value is the column's place in the primary key.</summary>
    private const string ColumnsSql = $"""
        SELECT pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname),
               pg_catalog.quote_ident(a.attname),
               pg_catalog.format_type(a.atttypid, a.atttypmod),
               pg_catalog.format_type(a.atttypid, -1),
               a.attnotnull::text,
               (SELECT k.ord FROM pg_catalog.pg_index i,
                       pg_catalog.unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
                 WHERE i.indrelid = c.oid AND i.indisprimary AND k.attnum = a.attnum)::text
        FROM pg_catalog.pg_class c
        JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
        WHERE c.relkind = 'r'
          AND {UserSchemas}
        ORDER BY 1, a.attnum
        """;
}

namespace Pgproxy.Core.Consistency;

/// <summary>
/// The OIDs of a database's user-defined types on one node, compared with main's. Drivers depend on them: Npgsql and
/// pgjdbc load a type's OID (an enum, a domain, hstore's) from whichever node serves their read and send it to
/// another in Parse, which fails with "cache lookup failed for type" where it differs. Data can be identical while
/// they are not (types created on each node by hand, a node recovered from a schema copy, OIDs drawn by timing), so
/// a difference is reported but is not one of data: no failover and no refused ATTACH for it alone (see
/// <see cref="CheckFinding.DataDiffers"/>), since neither would make the OIDs equal.
/// </summary>
internal static class TypeOids
{
    /// <summary>How many differing types a finding names; the count covers them all.</summary>
    private const int Listed = 5;

    /// <summary>
    /// Types of user schemas but tables' row types (which no driver maps by OID) and their arrays; composite types
    /// of CREATE TYPE stay. Named by regtype under the snapshot's empty search_path, so qualified alike everywhere.
    /// </summary>
    private const string Sql = $"""
        SELECT t.oid::pg_catalog.regtype::text, t.oid::text
        FROM pg_catalog.pg_type t
        JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
        LEFT JOIN pg_catalog.pg_type e ON e.oid = t.typelem AND e.typarray = t.oid
        LEFT JOIN pg_catalog.pg_class c ON c.oid = COALESCE(e.typrelid, t.typrelid)
        WHERE (c.oid IS NULL OR c.relkind = 'c')
          AND {CatalogReader.UserSchemas}
        """;

    public static async Task<IReadOnlyDictionary<string, string>> ReadAsync(ISnapshotQuery node,
        CancellationToken cancellationToken)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var row in await node.QueryAsync(Sql, cancellationToken))
        {
            result[row[0]!] = row[1]!;
        }

        return result;
    }

    /// <summary>
    /// One finding for the types both nodes hold under other OIDs, or null. A type one node lacks is not reported:
    /// alone it changes no data, and a table using it differs in its columns.
    /// </summary>
    public static CheckFinding? Compare(string database, int mainId, IReadOnlyDictionary<string, string> main,
        int nodeId, IReadOnlyDictionary<string, string> node)
    {
        var differing = main
            .Where(m => node.TryGetValue(m.Key, out var oid) && oid != m.Value)
            .Select(m => m.Key)
            .Order(StringComparer.Ordinal)
            .ToList();
        if (differing.Count == 0)
        {
            return null;
        }

        var listed = differing.Take(Listed).Select(type => $"{type} {main[type]} on node {mainId}, {node[type]} on node {nodeId}");
        return new CheckFinding(FindingKind.TypeOidsDiffer, database, differing[0], nodeId,
            $"{differing.Count} type(s) have other OIDs than on node {mainId}: " +
            string.Join("; ", listed) + (differing.Count > Listed ? "; …" : ""), [], []);
    }
}

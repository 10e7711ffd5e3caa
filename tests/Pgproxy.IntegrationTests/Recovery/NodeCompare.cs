using System.Globalization;
using Npgsql;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Recovery;

/// <summary>
/// Reads every user table and sequence of one database on two nodes directly (never through pgproxy): per table
/// the row count and sum(hashtext(t::text)), per sequence last_value and is_called. Equal digests: same data.
/// </summary>
internal static class NodeCompare
{
    public static async Task<SortedDictionary<string, string>> DigestAsync(PostgresInstance node,
        string database = "postgres")
    {
        await using var conn = new NpgsqlConnection(node.ConnectionStringFor(database));
        await conn.OpenAsync();
        var relations = new List<(string Name, char Kind)>();
        await using (var list = new NpgsqlCommand(
                         """
                         SELECT format('%I.%I', n.nspname, c.relname), c.relkind::text
                         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                         WHERE c.relkind IN ('r', 'S', 'm') AND (c.relkind <> 'm' OR c.relispopulated) AND n.nspname NOT IN ('pg_catalog', 'information_schema')
                           AND n.nspname NOT LIKE 'pg\_toast%'
                         ORDER BY 1
                         """, conn))
        await using (var reader = await list.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                relations.Add((reader.GetString(0), reader.GetString(1)[0]));
            }
        }

        var digest = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, kind) in relations)
        {
            var sql = kind == 'S'
                ? $"SELECT last_value::text || '/' || is_called::text FROM {name}"
                : $"SELECT count(*)::text || '/' || coalesce(sum(hashtext(t::text)), 0)::text FROM {name} t";
            await using var command = new NpgsqlCommand(sql, conn);
            digest[name] = Convert.ToString(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture)!;
        }

        return digest;
    }

    /// <summary>Asserts both nodes hold the same tables with the same rows and the same sequence values.</summary>
    public static async Task AssertIdenticalAsync(PostgresInstance main, PostgresInstance node,
        string database = "postgres")
    {
        var expected = await DigestAsync(main, database);
        var actual = await DigestAsync(node, database);
        var differing = expected.Keys.Union(actual.Keys)
            .Where(k => expected.GetValueOrDefault(k) != actual.GetValueOrDefault(k))
            .Select(k => $"{k}: main {expected.GetValueOrDefault(k) ?? "missing"}, node {actual.GetValueOrDefault(k) ?? "missing"}")
            .ToList();
        Assert.True(differing.Count == 0, $"database {database} differs: " + string.Join("; ", differing));
        Assert.NotEmpty(expected);
    }
}

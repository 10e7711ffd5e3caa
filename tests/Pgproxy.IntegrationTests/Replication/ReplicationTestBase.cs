using Npgsql;
using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Replication;

/// <summary>
/// A fresh pgproxy in front of both nodes per test, and the checks every replication test needs: what each
/// node holds, read directly from the node, never through the proxy.
/// </summary>
public abstract class ReplicationTestBase(TwoNodes cluster) : ProxyTestBase(cluster)
{
    protected IReadOnlyList<PostgresInstance> Nodes => cluster.Nodes;

    protected PgClusterFixture Cluster => cluster;

    /// <summary>Row count and an md5 of every row in key order, as read on one node.</summary>
    protected static async Task<(long Rows, string Hash)> FingerprintAsync(PostgresInstance node, string table,
        string orderBy)
    {
        await using var conn = new NpgsqlConnection(node.ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(
            $"SELECT count(*), coalesce(md5(string_agg(t::text, '|' ORDER BY {orderBy})), '') FROM {table} t", conn);
        await using var reader = await cmd.ExecuteReaderAsync();
        await reader.ReadAsync();
        return (reader.GetInt64(0), reader.GetString(1));
    }

    /// <summary>Asserts every node holds exactly the same rows; returns the row count.</summary>
    protected async Task<long> AssertNodesIdenticalAsync(string table, string orderBy)
    {
        var first = await FingerprintAsync(Nodes[0], table, orderBy);
        for (var i = 1; i < Nodes.Count; i++)
        {
            var other = await FingerprintAsync(Nodes[i], table, orderBy);
            Assert.True(first == other,
                $"{table}: node 0 has {first.Rows} rows ({first.Hash}), node {i} has {other.Rows} rows ({other.Hash})");
        }

        return first.Rows;
    }

    /// <summary>No node holds a prepared transaction whose gid is like <paramref name="gids"/> (any, by default).</summary>
    protected async Task AssertNothingPreparedAsync(string gids = "%")
    {
        foreach (var node in Nodes)
        {
            Assert.Equal(0L, await NodeSql.ScalarAsync<long>(node,
                $"SELECT count(*) FROM pg_prepared_xacts WHERE gid LIKE '{gids}'"));
        }
    }

    protected async Task ExecuteOnProxyAsync(string sql)
    {
        await using var conn = await OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        await cmd.ExecuteNonQueryAsync();
    }

    /// <summary>A table created through the proxy, so it exists on every node.</summary>
    protected async Task<string> CreateReplicatedTableAsync(string prefix, string columns)
    {
        var table = NodeSql.UniqueTable(prefix);
        await ExecuteOnProxyAsync($"CREATE TABLE {table} ({columns})");
        return table;
    }

    /// <summary>
    /// Runs <paramref name="script"/> with psql directly on node 0 and through the proxy, each in a database
    /// of its own, and asserts psql prints the same; then <paramref name="checkNodes"/> gets the proxied database's
    /// name to read every node directly. Both databases are dropped afterwards.
    /// </summary>
    protected async Task AssertPsqlAsDirectAsync(string script, Func<string, Task> checkNodes)
    {
        var direct = "psql_direct_" + Guid.NewGuid().ToString("N")[..8];
        var proxied = "psql_proxied_" + Guid.NewGuid().ToString("N")[..8];
        await NodeSql.ExecuteAsync(Nodes[0], $"CREATE DATABASE {direct}");
        try
        {
            var expected = await PgTools.PsqlWithInputAsync(Nodes[0].Port, script, "-d", direct);
            var created = await PgTools.PsqlAsync(Proxy.Port, "-c", $"CREATE DATABASE {proxied}");
            Assert.True(created.ExitCode == 0, created.StdErr);
            var actual = await PgTools.PsqlWithInputAsync(Proxy.Port, script, "-d", proxied);
            Assert.Equal(expected.StdErr, actual.StdErr);
            Assert.Equal(expected.StdOut, actual.StdOut);
            await checkNodes(proxied);
        }
        finally
        {
            await NodeSql.ExecuteAsync(Nodes[0], $"DROP DATABASE IF EXISTS {direct} WITH (FORCE)");
            foreach (var node in Nodes)
            {
                await NodeSql.ExecuteAsync(node, $"DROP DATABASE IF EXISTS {proxied} WITH (FORCE)");
            }
        }
    }
}

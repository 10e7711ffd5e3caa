using Npgsql;
using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Replication;

/// <summary>
/// Types created by concurrent sessions through pgproxy get the same OID on every node (issue 17 item 4): Npgsql
/// loads type OIDs on whichever node serves its read and sends them in Parse, and its own suite's concurrent
/// fixtures failed with "cache lookup failed for type" when the nodes numbered types differently. Two causes, both
/// here: CREATE TYPE of several sessions reaching main and node 1 in different orders, and concurrent
/// CREATE EXTENSION IF NOT EXISTS, whose loser failed on main after drawing OIDs but found the extension on node 1.
/// Each node's pg_type is read directly.
/// </summary>
[Collection(ReplicationSuite.Name)]
public sealed class CatalogOidTests(TwoNodes cluster) : ReplicationTestBase(cluster)
{
    private const int Sessions = 6;

    [PostgresFact]
    public async Task Types_created_by_concurrent_sessions_are_numbered_alike_on_every_node()
    {
        var prefix = NodeSql.UniqueTable("itest_oid");
        // OIDs relative to a marker type created first, alone: earlier tests on this shared cluster may have left
        // the nodes' counters apart (a node written directly), which says nothing about this test's writes.
        var typesSql = $"SELECT string_agg(typname || '=' || (oid::bigint - (SELECT oid::bigint FROM pg_type " +
                       $"WHERE typname = '{prefix}_marker')), ',' ORDER BY typname) FROM pg_type " +
                       $"WHERE typname LIKE '{prefix}%' OR typname LIKE '\\_{prefix}%' OR typname IN ('hstore', '_hstore')";
        try
        {
            await ExecuteOnProxyAsync($"CREATE TYPE {prefix}_marker AS (x int)");
            using var start = new Barrier(Sessions);
            await Task.WhenAll(Enumerable.Range(0, Sessions).Select(i => Task.Run(async () =>
            {
                await using var connection = await OpenAsync();
                start.SignalAndWait(TimeSpan.FromSeconds(30));
                await using var command = connection.CreateCommand();
                command.CommandText = "CREATE EXTENSION IF NOT EXISTS hstore";
                try
                {
                    await command.ExecuteNonQueryAsync();
                }
                catch (PostgresException e) when (e.SqlState == "23505")
                {
                    // PostgreSQL's own race (Npgsql's tests catch it too): not what this test is about
                }

                for (var n = 0; n < 3; n++)
                {
                    command.CommandText = $"CREATE TYPE {prefix}_{i}_{n} AS (x int, y text)";
                    await command.ExecuteNonQueryAsync();
                }
            })));

            var onMain = await NodeSql.ScalarAsync<string>(Nodes[0], typesSql);
            Assert.Contains("hstore=", onMain, StringComparison.Ordinal);
            Assert.Equal(onMain, await NodeSql.ScalarAsync<string>(Nodes[1], typesSql));
        }
        finally
        {
            for (var i = 0; i < Sessions; i++)
            {
                for (var n = 0; n < 3; n++)
                {
                    await ExecuteOnProxyAsync($"DROP TYPE IF EXISTS {prefix}_{i}_{n}");
                }
            }

            await ExecuteOnProxyAsync($"DROP TYPE IF EXISTS {prefix}_marker");
            await ExecuteOnProxyAsync("DROP EXTENSION IF EXISTS hstore");
        }
    }

    /// <summary>
    /// A node that drew OIDs of its own (here: large objects created on node 1 directly; in Npgsql's suite, a
    /// temporary schema created on one node only, since backend slots differ per node) still gets the same OIDs for
    /// the next schema change through pgproxy: its counter is brought level with the others' first. Absolute OIDs,
    /// each node's pg_type read directly.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(0)]
    public async Task A_type_gets_the_same_oid_after_one_node_drew_oids_of_its_own(int ahead)
    {
        var type = NodeSql.UniqueTable("itest_oidgap");
        await NodeSql.ExecuteAsync(Nodes[ahead],
            "SELECT count(lo_unlink(lo_create(0))) FROM generate_series(1, 5)");
        try
        {
            await ExecuteOnProxyAsync($"CREATE TYPE {type} AS ENUM ('a', 'b')");
            var oids = new List<long>();
            foreach (var node in Nodes)
            {
                oids.Add(await NodeSql.ScalarAsync<long>(node, $"SELECT '{type}'::regtype::oid::bigint"));
            }

            Assert.Equal(oids[0], oids[1]);
        }
        finally
        {
            await ExecuteOnProxyAsync($"DROP TYPE IF EXISTS {type}");
        }
    }
}

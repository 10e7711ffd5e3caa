using Npgsql;
using Pgproxy.Core.Backends;
using Pgproxy.Core.Recovery;
using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Recovery;

/// <summary>
/// What logical replication and <c>pg_dump --schema-only</c> leave out, and what a node taken out mid-commit keeps:
/// an unlogged table's rows, a materialized view's rows, and a prepared transaction left on the node (which made
/// DROP DATABASE … WITH (FORCE) fail the wipe). The nodes read directly are identical afterwards.
/// </summary>
[Collection(RecoverySuite.Name)]
public sealed class RecoveryLeftStateTests(TwoNodes cluster) : RecoveryTestBase(cluster)
{
    [PostgresFact]
    public async Task Unlogged_rows_materialized_views_and_a_prepared_transaction_left_on_the_node_are_handled()
    {
        await using var proxy = ProxyHost.Start(Cluster, discardStatus: true);
        var id = Guid.NewGuid().ToString("N")[..8];
        await ExecuteThroughAsync(proxy,
            $"""
            CREATE TABLE base_{id} (id int PRIMARY KEY, v int);
            INSERT INTO base_{id} SELECT i, i % 10 FROM generate_series(1, 2000) i;
            CREATE UNLOGGED TABLE scratch_{id} (id int PRIMARY KEY, note text);
            INSERT INTO scratch_{id} SELECT i, 'n' || i FROM generate_series(1, 700) i;
            CREATE MATERIALIZED VIEW totals_{id} AS SELECT v, count(*) AS n FROM base_{id} GROUP BY v;
            CREATE MATERIALIZED VIEW empty_{id} AS SELECT 1 AS one WITH NO DATA;
            """);
        var node1 = proxy.Runtime.Nodes.Find(1)!;
        proxy.Runtime.Nodes.Degenerate(node1, "taken out between PREPARE and COMMIT PREPARED");
        await using (var direct = new NpgsqlConnection(Cluster.Nodes[1].ConnectionStringFor("postgres")))
        {
            await direct.OpenAsync();
            await using var prepare = new NpgsqlCommand(
                $"BEGIN; INSERT INTO base_{id} VALUES (99999, 1); PREPARE TRANSACTION 'pgproxy_0_{id}'", direct);
            await prepare.ExecuteNonQueryAsync();
        }

        await ExecuteThroughAsync(proxy, $"INSERT INTO scratch_{id} VALUES (701, 'while down')");

        var outcome = await RecoverAsync(proxy, new RecoveryProgress(), wipe: true);

        Assert.True(outcome.Succeeded, outcome.Error + Logs());
        Assert.NotEqual(BackendStatus.Down, node1.Status);
        Assert.Equal(0L, await NodeSql.ScalarAsync<long>(Cluster.Nodes[1], "SELECT count(*) FROM pg_prepared_xacts"));
        Assert.Equal(701L, await NodeSql.CountAsync(Cluster.Nodes[1], $"scratch_{id}"));
        Assert.Equal(10L, await NodeSql.CountAsync(Cluster.Nodes[1], $"totals_{id}"));
        Assert.False(await NodeSql.ScalarAsync<bool>(Cluster.Nodes[1],
            $"SELECT relispopulated FROM pg_class WHERE oid = 'empty_{id}'::regclass"));
        await NodeCompare.AssertIdenticalAsync(Cluster.Nodes[0], Cluster.Nodes[1]);
        await AssertNoRecoveryObjectsAsync();

        await ExecuteThroughAsync(proxy,
            $"DROP MATERIALIZED VIEW totals_{id}, empty_{id}; DROP TABLE base_{id}, scratch_{id}");
    }
}

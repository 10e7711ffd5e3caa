using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Replication;

/// <summary>
/// The client's PREPARE TRANSACTION after a read that touched temporary objects on node 1 alone (the regression
/// suite's <c>temp</c> took node 1 out this way, for the rest of the run): PostgreSQL refuses to prepare there, and
/// the client must get that error, as it does directly, with no node keeping a prepared transaction and both nodes
/// still in. Node 0 has weight 0, so the load-balanced read goes to node 1.
/// </summary>
[Collection(ReplicationSuite.Name)]
public sealed class ClientPrepareTransactionTests(TwoNodes cluster) : NodeOneReadsTestBase(cluster)
{
    [PostgresFact]
    public async Task A_node_that_cannot_prepare_fails_the_prepare_everywhere_and_stays_in()
    {
        var table = await CreateReplicatedTableAsync("cpt", "a int");
        var gid = "cpt_" + Guid.NewGuid().ToString("N")[..10];
        try
        {
            var psql = await PgTools.PsqlAsync(Proxy.Port, "-c", "CREATE TEMP TABLE tt (a int)", "-c", "BEGIN",
                "-c", "SELECT count(*) FROM tt", "-c", $"INSERT INTO {table} VALUES (1)",
                "-c", $"PREPARE TRANSACTION '{gid}'", "-c", $"INSERT INTO {table} VALUES (2)");
            Assert.Contains("cannot PREPARE a transaction that has operated on temporary objects", psql.StdErr,
                StringComparison.Ordinal);

            foreach (var node in Nodes)
            {
                Assert.Equal("0", await node.QueryAsync($"SELECT count(*) FROM pg_prepared_xacts WHERE gid = '{gid}'"));
                Assert.Equal("2", await node.QueryAsync($"SELECT string_agg(a::text, ',') FROM {table}"));
            }
        }
        finally
        {
            foreach (var node in Nodes)
            {
                if (await node.QueryAsync($"SELECT count(*) FROM pg_prepared_xacts WHERE gid = '{gid}'") != "0")
                {
                    await NodeSql.ExecuteAsync(node, $"ROLLBACK PREPARED '{gid}'");
                }
            }
        }
    }
}

using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Replication;

/// <summary>
/// A read of pg_prepared_xacts is answered by main (issue 16, the regression suite's prepared_xacts): during a
/// two-phase commit only the other nodes hold pgproxy's own prepared transaction, which a client must not see.
/// Node 0 has weight 0, so any other read would go to node 1, where a prepared transaction is made directly.
/// </summary>
[Collection(ReplicationSuite.Name)]
public sealed class PreparedXactsReadTests(TwoNodes cluster) : NodeOneReadsTestBase(cluster)
{
    [PostgresFact]
    public async Task A_prepared_transaction_on_node_1_alone_is_not_seen_through_pgproxy()
    {
        var gid = "itest_node1_only_" + Guid.NewGuid().ToString("N")[..10];
        await NodeSql.ExecuteAsync(Nodes[1], $"BEGIN; PREPARE TRANSACTION '{gid}'");
        try
        {
            await using var connection = await OpenAsync();
            Assert.Equal(1, await NodeSql.ScalarAsync<long>(Nodes[1],
                $"SELECT count(*) FROM pg_prepared_xacts WHERE gid = '{gid}'"));
            await using var read = connection.CreateCommand();
            read.CommandText = $"SELECT count(*) FROM pg_prepared_xacts WHERE gid = '{gid}'";
            Assert.Equal(0L, await read.ExecuteScalarAsync());

        }
        finally
        {
            await NodeSql.ExecuteAsync(Nodes[1], $"ROLLBACK PREPARED '{gid}'");
        }
    }
}

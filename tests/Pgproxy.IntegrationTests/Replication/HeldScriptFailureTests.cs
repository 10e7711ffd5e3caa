using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Replication;

/// <summary>
/// The writes of a transaction held back for node 1 reach it as one multi-statement Query (HeldScript). When node 1
/// alone fails one of them, PostgreSQL skips the rest of that Query: the transaction must still fail on every node,
/// leave both nodes as they were, nothing prepared, node 1 in, and the session usable. Read on the nodes directly.
/// </summary>
[Collection(ReplicationSuite.Name)]
public sealed class HeldScriptFailureTests(TwoNodes cluster) : ReplicationTestBase(cluster)
{
    [PostgresFact]
    public async Task A_write_only_node_1_refuses_mid_script_fails_the_transaction_everywhere()
    {
        var table = await CreateReplicatedTableAsync("held_script", "id int PRIMARY KEY, v int");
        // Node 1 alone refuses a second id below 10: the second of the three held-back statements fails there.
        await NodeSql.ExecuteAsync(Nodes[1], $"CREATE UNIQUE INDEX ON {table} ((id / 10))");

        var failed = await PgTools.PsqlAsync(Proxy.Port, "-X", "-v", "VERBOSITY=verbose", "-c", "BEGIN",
            "-c", $"INSERT INTO {table} VALUES (1, 1)", "-c", $"INSERT INTO {table} VALUES (2, 2)",
            "-c", $"UPDATE {table} SET v = v + 1", "-c", "COMMIT");

        Assert.Contains("XX001", failed.StdErr, StringComparison.Ordinal); // the COMMIT: node 1 answered otherwise
        Assert.Equal(0, await AssertNodesIdenticalAsync(table, "id"));
        await AssertNothingPreparedAsync();
        Assert.Equal(Core.Backends.BackendStatus.Up, Proxy.Runtime.Nodes.Find(1)!.Status);

        // The same session's next transaction is merged and committed again.
        var next = await PgTools.PsqlAsync(Proxy.Port, "-X", "-v", "ON_ERROR_STOP=1", "-c", "BEGIN",
            "-c", $"INSERT INTO {table} VALUES (11, 1)", "-c", $"INSERT INTO {table} VALUES (25, 2)",
            "-c", $"UPDATE {table} SET v = v + 1", "-c", "COMMIT");

        Assert.True(next.ExitCode == 0, next.StdErr);
        Assert.Equal(2, await AssertNodesIdenticalAsync(table, "id"));
        Assert.Equal(5L, await NodeSql.ScalarAsync<long>(Nodes[1], $"SELECT sum(v) FROM {table}"));
        await AssertNothingPreparedAsync();
    }
}

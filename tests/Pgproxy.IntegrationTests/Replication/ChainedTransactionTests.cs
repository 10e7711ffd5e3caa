using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Replication;

/// <summary>
/// COMMIT AND CHAIN opens a transaction with the ended one's modes (PostgreSQL's transactions test). Every node must
/// open it alike: a node that only rolled back, or that the ended transaction never reached, would run the chained
/// transaction under the session's defaults (here read-only: 25006 on that node alone). Nodes are read directly.
/// </summary>
[Collection(ReplicationSuite.Name)]
public sealed class ChainedTransactionTests(TwoNodes cluster) : ReplicationTestBase(cluster)
{
    [PostgresFact]
    public async Task Chained_transactions_keep_their_modes_on_every_node()
    {
        var table = await CreateReplicatedTableAsync("chain", "a int");
        // PostgreSQL's own answers, run directly: off, off, on; rows 1 to 4; one error, the 'error' input's.
        var script = string.Join('\n',
            "SET default_transaction_read_only = on;",
            "START TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ WRITE;",
            $"INSERT INTO {table} VALUES (1);",
            "COMMIT AND CHAIN;",
            // A failed transaction ended by COMMIT AND CHAIN: main rolls back and chains, so must the others.
            $"INSERT INTO {table} VALUES ('error');",
            "COMMIT AND CHAIN;",
            "SHOW transaction_read_only;",
            $"INSERT INTO {table} VALUES (2);",
            "COMMIT;",
            // A transaction no statement reached yet: its deferred BEGIN must still open the chained one everywhere.
            "START TRANSACTION READ WRITE;",
            "COMMIT AND CHAIN;",
            "SHOW transaction_read_only;",
            $"INSERT INTO {table} VALUES (3);",
            "COMMIT;",
            // AND NO CHAIN ends for good: the session's default (read-only) applies again.
            "START TRANSACTION READ WRITE;",
            $"INSERT INTO {table} VALUES (4);",
            "COMMIT AND NO CHAIN;",
            "SHOW transaction_read_only;",
            "");
        var result = await PgTools.PsqlWithInputAsync(Proxy.Port, script, "-qAt");

        Assert.True(result.StdOut.Trim() == "off\noff\non", result.StdOut + result.StdErr);
        var errors = result.StdErr.Split('\n').Where(l => l.Contains("ERROR", StringComparison.Ordinal)).ToList();
        Assert.True(errors.Count == 1 && errors[0].Contains("invalid input syntax", StringComparison.Ordinal),
            result.StdErr);
        Assert.Equal(4, await AssertNodesIdenticalAsync(table, "a"));
        foreach (var node in Nodes)
        {
            Assert.Equal("1,2,3,4", await NodeSql.ScalarAsync<string>(node,
                $"SELECT string_agg(a::text, ',' ORDER BY a) FROM {table}"));
        }
    }
}

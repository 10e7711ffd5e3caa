using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Replication;

/// <summary>
/// SET TRANSACTION ISOLATION LEVEL SERIALIZABLE inside a transaction makes its reads main's, as BEGIN ISOLATION
/// LEVEL SERIALIZABLE does: a read balanced to node 1 took a snapshot there only, and PostgreSQL's transactions test
/// then got "different results between nodes" for its SET TRANSACTION READ WRITE instead of PostgreSQL's 25001.
/// Reads are balanced at random, so the sequence runs several times.
/// </summary>
[Collection(ReplicationSuite.Name)]
public sealed class SetTransactionTests(TwoNodes cluster) : ReplicationTestBase(cluster)
{
    [PostgresFact]
    public async Task Reads_after_set_transaction_serializable_go_to_main()
    {
        var table = await CreateReplicatedTableAsync("settx", "a int");
        var block = string.Join('\n',
            "BEGIN;",
            "SET TRANSACTION ISOLATION LEVEL SERIALIZABLE, READ ONLY, DEFERRABLE;",
            $"SELECT count(*) FROM {table};",
            "SET TRANSACTION READ WRITE;",
            "COMMIT;",
            "");
        var script = string.Concat(Enumerable.Repeat(block, 12)) + $"INSERT INTO {table} VALUES (1);\n";

        var result = await PgTools.PsqlWithInputAsync(Proxy.Port, script, "-qAt");

        var errors = result.StdErr.Split('\n').Where(l => l.StartsWith("ERROR:", StringComparison.Ordinal)).ToList();
        Assert.True(errors.Count == 12
                    && errors.All(e => e == "ERROR:  transaction read-write mode must be set before any query"),
            result.StdErr);
        foreach (var node in Nodes)
        {
            Assert.Equal(1L, await NodeSql.CountAsync(node, table));
        }
    }
}

using Npgsql;
using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Replication;

/// <summary>
/// A temporary table gets the same OID on every node, though its session's backends sit in backend slots whose
/// temporary schemas exist on one node and not on the other: the first temporary object of a backend creates its
/// slot's schema, drawing OIDs on that node only. Npgsql's KeyInfo schema query looks the table up by the OID of
/// the RowDescription, on a connection of its own whose reads went to another node
/// (ReaderOldSchemaTests.BaseColumnName through two nodes). Reads go to node 1 here (node 0 has weight 0).
/// </summary>
[Collection(ReplicationSuite.Name)]
public sealed class TemporaryTableOidTests(TwoNodes cluster) : NodeOneReadsTestBase(cluster)
{
    [PostgresFact]
    public async Task A_temporary_table_gets_the_same_oid_on_every_node_when_one_node_creates_its_schema()
    {
        // Node 0: the low slots' temporary schemas exist (sessions that made one have gone). Node 1: the low slots
        // are taken, so the proxy's backend there gets a slot whose schema is new, or at least another slot.
        var warm = new List<NpgsqlConnection>();
        var held = new List<NpgsqlConnection>();
        try
        {
            for (var i = 0; i < 10; i++)
            {
                warm.Add(await OpenDirectWithTemporaryTableAsync(Nodes[0]));
            }

            foreach (var connection in warm)
            {
                await connection.DisposeAsync();
            }

            for (var i = 0; i < 6; i++)
            {
                held.Add(await OpenDirectWithTemporaryTableAsync(Nodes[1]));
            }

            await using var conn = await OpenAsync();
            await using (var create = new NpgsqlCommand(
                             "CREATE TEMP TABLE itest_temp_oid (cod varchar(5) PRIMARY KEY, descr text)", conn))
            {
                await create.ExecuteNonQueryAsync();
            }

            const string Oid = "SELECT c.oid::bigint FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace " +
                               "WHERE c.relname = 'itest_temp_oid' AND n.nspname LIKE 'pg_temp%'";
            Assert.Equal(await NodeSql.ScalarAsync<long>(Nodes[0], Oid), await NodeSql.ScalarAsync<long>(Nodes[1], Oid));

            await using var select = new NpgsqlCommand("SELECT cod AS alias, descr FROM itest_temp_oid", conn);
            await using var reader = await select.ExecuteReaderAsync(
                System.Data.CommandBehavior.SchemaOnly | System.Data.CommandBehavior.KeyInfo);
            var schema = (await reader.GetSchemaTableAsync())!;
            Assert.Equal("cod", schema.Rows[0]["BaseColumnName"].ToString());
            Assert.Equal("alias", schema.Rows[0]["ColumnName"].ToString());
        }
        finally
        {
            foreach (var connection in held)
            {
                await connection.DisposeAsync();
            }
        }
    }

    private static async Task<NpgsqlConnection> OpenDirectWithTemporaryTableAsync(PostgresInstance node)
    {
        var connection = new NpgsqlConnection(node.ConnectionString + ";Pooling=false");
        await connection.OpenAsync();
        await using var create = new NpgsqlCommand("CREATE TEMP TABLE itest_temp_slot (a int)", connection);
        await create.ExecuteNonQueryAsync();
        return connection;
    }
}

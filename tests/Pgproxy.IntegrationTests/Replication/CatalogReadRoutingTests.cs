using Npgsql;
using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Replication;

/// <summary>
/// Reads calling PostgreSQL's own volatile-but-read-only functions stay reads (regression suite, issue 16 item
/// 13). Node 0 has weight 0, so a load-balanced read goes to node 1, never to main.
/// </summary>
[Collection(ReplicationSuite.Name)]
public sealed class CatalogReadRoutingTests(TwoNodes cluster) : NodeOneReadsTestBase(cluster)
{
    [PostgresFact]
    public async Task Psql_describes_a_table_referenced_by_a_foreign_key_when_oids_differ_between_nodes()
    {
        // A table on node 0 alone moves its OID counter ahead of node 1's: the tables below get other OIDs there.
        var filler = NodeSql.UniqueTable("cr_filler");
        await NodeSql.ExecuteAsync(Nodes[0], $"CREATE TABLE {filler} (a int, b text, c text)");
        try
        {
            var parent = await CreateReplicatedTableAsync("cr_parent", "id int PRIMARY KEY");
            var child = await CreateReplicatedTableAsync("cr_child", $"pid int REFERENCES {parent}(id)");

            var psql = await PgTools.PsqlAsync(Proxy.Port, "-v", "ON_ERROR_STOP=1", "-c", $@"\d {parent}");
            psql.EnsureSuccess();
            Assert.Contains("Referenced by:", psql.StdOut, StringComparison.Ordinal);
            Assert.Contains(child, psql.StdOut, StringComparison.Ordinal);
        }
        finally
        {
            await NodeSql.ExecuteAsync(Nodes[0], $"DROP TABLE {filler}");
        }
    }

    [PostgresFact]
    public async Task Txid_status_of_a_rolled_back_transaction_says_aborted()
    {
        var psql = await PgTools.PsqlWithInputAsync(Proxy.Port,
            "BEGIN;\nSELECT txid_current() AS x \\gset\nROLLBACK;\nSELECT txid_status(:x);\n" +
            "BEGIN;\nSELECT pg_current_xact_id() AS y \\gset\nCOMMIT;\nSELECT pg_xact_status(:'y');\n",
            "-v", "ON_ERROR_STOP=1", "-Atq");
        psql.EnsureSuccess();
        Assert.Equal(["aborted", "committed"], psql.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    /// <summary>
    /// Reads about the client's own backend are main's answers: its pid is the one BackendKeyData gave, and its
    /// temporary schema is the one main's statements use (the regression suite's create_index reindexed
    /// <c>pg_my_temp_schema()</c> read on node 1, on main, where no such schema was this session's). Main's
    /// backend is found directly in node 0's pg_stat_activity by the session's application_name.
    /// </summary>
    [PostgresFact]
    public async Task Reads_about_the_sessions_own_backend_are_answered_by_main()
    {
        var application = "cr_own_" + Guid.NewGuid().ToString("N")[..8];
        await using var connection = await OpenAsync(b => b.ApplicationName = application);
        await using (var create = new NpgsqlCommand("CREATE TEMP TABLE cr_scratch (a int)", connection))
        {
            await create.ExecuteNonQueryAsync();
        }

        await using var read = new NpgsqlCommand(
            "SELECT pg_backend_pid(), pg_my_temp_schema()::regnamespace::text", connection);
        await using var reader = await read.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        var (pid, schema) = (reader.GetInt32(0), reader.GetString(1));

        Assert.Equal(connection.ProcessID, pid);
        var mains = await NodeSql.ScalarAsync<long>(Nodes[0],
            $"SELECT count(*) FROM pg_stat_activity WHERE pid = {pid} AND application_name = '{application}'");
        Assert.Equal(1, mains);
        var tempSchemaOnMain = await NodeSql.ScalarAsync<string>(Nodes[0],
            $"SELECT n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace " +
            $"WHERE c.relname = 'cr_scratch' AND n.nspname = '{schema}'");
        Assert.Equal(schema, tempSchemaOnMain);
    }
}

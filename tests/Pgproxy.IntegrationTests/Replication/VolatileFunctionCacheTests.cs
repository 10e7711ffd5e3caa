using Npgsql;
using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Replication;

/// <summary>
/// A SELECT calling a function that writes must run on every node even when the function is newer than the
/// proxy's reading of pg_proc (regression suite: select_into's make_table() created its table on node 0 only).
/// Each test first makes the proxy read the functions, then creates one it cannot know, then calls it.
/// </summary>
[Collection(ReplicationSuite.Name)]
public sealed class VolatileFunctionCacheTests(TwoNodes cluster) : ReplicationTestBase(cluster)
{
    private static async Task ExecuteAsync(NpgsqlConnection conn, string sql)
    {
        await using var cmd = new NpgsqlCommand(sql, conn);
        await cmd.ExecuteNonQueryAsync();
    }

    private static string WritingFunction(string function, string table) =>
        $"CREATE FUNCTION {function}() RETURNS int LANGUAGE sql AS $$ INSERT INTO {table} VALUES (1) RETURNING 1 $$";

    private async Task AssertOneRowOnEveryNodeAsync(string table)
    {
        foreach (var node in Nodes)
        {
            Assert.Equal(1L, await NodeSql.CountAsync(node, table));
        }
    }

    [PostgresFact]
    public async Task A_function_created_in_the_same_transaction_and_called_in_a_select_runs_on_every_node()
    {
        var table = await CreateReplicatedTableAsync("vf_tx", "v int");
        var function = NodeSql.UniqueTable("vf_tx_f");
        // Simple protocol, as psql sends it: one Query per statement, the CREATE inside the client's transaction.
        var psql = await PgTools.PsqlAsync(Proxy.Port, "-v", "ON_ERROR_STOP=1", "-c", "SELECT abs(1)",
            "-c", "BEGIN", "-c", WritingFunction(function, table), "-c", $"SELECT {function}()", "-c", "COMMIT");
        psql.EnsureSuccess();
        await AssertOneRowOnEveryNodeAsync(table);
    }

    [PostgresFact]
    public async Task A_function_another_session_committed_after_the_functions_were_read_runs_on_every_node()
    {
        var table = await CreateReplicatedTableAsync("vf_other", "v int");
        var function = NodeSql.UniqueTable("vf_other_f");
        await using var caller = await OpenAsync();
        await using var creator = await OpenAsync();
        await using (var tx = await creator.BeginTransactionAsync())
        {
            await ExecuteAsync(creator, WritingFunction(function, table));
            // Read while the CREATE is not committed yet: the reading cannot contain the function.
            await ExecuteAsync(caller, "SELECT abs(1)");
            await tx.CommitAsync();
        }

        await ExecuteAsync(caller, $"SELECT {function}()");
        await AssertOneRowOnEveryNodeAsync(table);
    }

    [PostgresFact]
    public async Task A_function_created_and_called_in_one_query_string_runs_on_every_node()
    {
        var table = await CreateReplicatedTableAsync("vf_string", "v int");
        var function = NodeSql.UniqueTable("vf_string_f");
        var psql = await PgTools.PsqlAsync(Proxy.Port, "-v", "ON_ERROR_STOP=1", "-c", "SELECT abs(1)",
            "-c", WritingFunction(function, table) + $"; SELECT {function}();");
        psql.EnsureSuccess();
        await AssertOneRowOnEveryNodeAsync(table);
    }
}

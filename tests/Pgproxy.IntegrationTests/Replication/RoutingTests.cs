using Npgsql;
using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Replication;

/// <summary>
/// Where statements run, told by <c>inet_server_port()</c>: node 0 has weight 0, so every read the proxy may
/// load-balance goes to node 1, and anything that must run on main reports node 0's port.
/// </summary>
[Collection(ReplicationSuite.Name)]
public sealed class RoutingTests(TwoNodes cluster) : NodeOneReadsTestBase(cluster)
{
    private async Task<int> PortOfAsync(NpgsqlConnection conn, string sql = "SELECT inet_server_port()")
    {
        await using var cmd = new NpgsqlCommand(sql, conn);
        return (int)(await cmd.ExecuteScalarAsync())!;
    }

    [PostgresFact]
    public async Task Reads_go_to_the_load_balance_node_in_simple_and_extended_protocol()
    {
        await using var conn = await OpenAsync();
        Assert.Equal(Nodes[1].Port, await PortOfAsync(conn));
        await using var cmd = new NpgsqlCommand("SELECT inet_server_port() + $1 - $1", conn);
        cmd.Parameters.AddWithValue(1);
        Assert.Equal(Nodes[1].Port, (int)(await cmd.ExecuteScalarAsync())!);
        await cmd.PrepareAsync();
        Assert.Equal(Nodes[1].Port, (int)(await cmd.ExecuteScalarAsync())!);
    }

    [PostgresFact]
    public async Task A_transaction_reads_from_main_after_its_first_write()
    {
        var table = await CreateReplicatedTableAsync("route_tx", "id int primary key");
        await using var conn = await OpenAsync();
        await using var tx = await conn.BeginTransactionAsync();
        Assert.Equal(Nodes[1].Port, await PortOfAsync(conn));
        await using (var insert = new NpgsqlCommand($"INSERT INTO {table} VALUES (1)", conn))
        {
            await insert.ExecuteNonQueryAsync();
        }

        Assert.Equal(Nodes[0].Port, await PortOfAsync(conn));
        await tx.CommitAsync();
        Assert.Equal(Nodes[1].Port, await PortOfAsync(conn));
        Assert.Equal(1, await NodeSql.CountAsync(Nodes[0], table));
        Assert.Equal(1, await NodeSql.CountAsync(Nodes[1], table));
    }

    [PostgresFact]
    public async Task Serializable_transactions_read_from_main()
    {
        await using var conn = await OpenAsync();
        await using var tx = await conn.BeginTransactionAsync(System.Data.IsolationLevel.Serializable);
        Assert.Equal(Nodes[0].Port, await PortOfAsync(conn));
        await tx.RollbackAsync();
    }

    [PostgresFact]
    public async Task A_select_calling_a_volatile_function_runs_on_every_node()
    {
        var seq = NodeSql.UniqueTable("route_seq");
        await ExecuteOnProxyAsync($"CREATE SEQUENCE {seq}");
        await using var conn = await OpenAsync();
        await using var cmd = new NpgsqlCommand($"SELECT nextval('{seq}')", conn);
        Assert.Equal(1L, (long)(await cmd.ExecuteScalarAsync())!);
        Assert.Equal(2L, (long)(await cmd.ExecuteScalarAsync())!);
        foreach (var node in Nodes)
        {
            Assert.Equal(2L, await NodeSql.ScalarAsync<long>(node, $"SELECT last_value FROM {seq}"));
        }
    }

    [PostgresFact]
    public async Task Show_pool_nodes_counts_reads_on_the_node_that_ran_them()
    {
        await using var conn = await OpenAsync();
        for (var i = 0; i < 5; i++)
        {
            await PortOfAsync(conn);
        }

        await using var cmd = new NpgsqlCommand("SHOW POOL_NODES", conn);
        await using var reader = await cmd.ExecuteReaderAsync();
        var rows = new List<(string Id, string Weight, string SelectCount, string LoadBalance)>();
        while (await reader.ReadAsync())
        {
            rows.Add((reader.GetString(reader.GetOrdinal("node_id")), reader.GetString(reader.GetOrdinal("lb_weight")),
                reader.GetString(reader.GetOrdinal("select_cnt")),
                reader.GetString(reader.GetOrdinal("load_balance_node"))));
        }

        Assert.Equal(2, rows.Count);
        Assert.Equal("0", rows[0].SelectCount);
        Assert.True(long.Parse(rows[1].SelectCount, System.Globalization.CultureInfo.InvariantCulture) >= 5);
        Assert.Equal("false", rows[0].LoadBalance);
        Assert.Equal("true", rows[1].LoadBalance);
    }

    [PostgresFact]
    public async Task Notice_per_node_statement_names_the_node()
    {
        await using var proxy = ProxyHost.Start(Cluster, o => Configure(o) with { NoticePerNodeStatement = true });
        await using var conn = await proxy.OpenAsync();
        var notices = new List<string>();
        conn.Notice += (_, e) => notices.Add(e.Notice.MessageText);
        await using var cmd = new NpgsqlCommand("SELECT 1", conn);
        await cmd.ExecuteScalarAsync();
        Assert.Contains(notices, n => n.StartsWith("DB node id: 1 statement:", StringComparison.Ordinal));
    }

    /// <summary>
    /// A session that created a temporary table reads from main from then on, where the OIDs in its answers agree with
    /// those of its catalog reads that must run on main (pg_is_other_temp_schema, pg_my_temp_schema).
    /// </summary>
    [PostgresFact]
    public async Task A_session_that_created_a_temporary_table_reads_from_main()
    {
        await using var conn = await OpenAsync();
        Assert.Equal(Nodes[1].Port, await PortOfAsync(conn));
        await using (var create = new NpgsqlCommand("CREATE TEMP TABLE itest_temp_route (a int)", conn))
        {
            await create.ExecuteNonQueryAsync();
        }

        Assert.Equal(Nodes[0].Port, await PortOfAsync(conn));
    }
}

using Npgsql;
using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Replication;

/// <summary>A node whose data differs answers differently; what happens then depends on the mismatch settings.</summary>
[Collection(ReplicationSuite.Name)]
public sealed class DivergenceTests(TwoNodes cluster) : ReplicationTestBase(cluster)
{
    private async Task<string> DivergedTableAsync()
    {
        var table = await CreateReplicatedTableAsync("div", "id int primary key, v int");
        await ExecuteOnProxyAsync($"INSERT INTO {table} VALUES (1, 0), (2, 0)");
        await NodeSql.ExecuteAsync(Nodes[1], $"INSERT INTO {table} VALUES (3, 0)"); // node 1 alone
        return table;
    }

    [PostgresFact]
    public async Task With_mismatch_failover_off_the_statement_fails_and_no_node_changes()
    {
        var table = await DivergedTableAsync();
        await using var conn = await OpenAsync();
        await using var cmd = new NpgsqlCommand($"UPDATE {table} SET v = 1", conn);
        var error = await Assert.ThrowsAsync<PostgresException>(() => cmd.ExecuteNonQueryAsync());
        Assert.Equal("XX001", error.SqlState);
        Assert.Equal(0L, await NodeSql.ScalarAsync<long>(Nodes[0], $"SELECT sum(v) FROM {table}"));
        Assert.Equal(0L, await NodeSql.ScalarAsync<long>(Nodes[1], $"SELECT sum(v) FROM {table}"));
    }

    [PostgresFact]
    public async Task With_mismatch_failover_on_the_odd_node_is_degenerated_and_the_client_gets_main_result()
    {
        var table = await DivergedTableAsync();
        await using var proxy = ProxyHost.Start(Cluster, o => o with { FailoverIfAffectedTuplesMismatch = true });
        await using var conn = await proxy.OpenAsync();
        await using (var cmd = new NpgsqlCommand($"UPDATE {table} SET v = 1", conn))
        {
            Assert.Equal(2, await cmd.ExecuteNonQueryAsync());
        }

        await using (var nodes = new NpgsqlCommand("SHOW POOL_NODES", conn))
        await using (var reader = await nodes.ExecuteReaderAsync())
        {
            var status = new List<string>();
            while (await reader.ReadAsync())
            {
                status.Add(reader.GetString(reader.GetOrdinal("status")));
            }

            Assert.Equal(["up", "down"], status);
        }

        // The session goes on with main alone.
        await using (var cmd = new NpgsqlCommand($"UPDATE {table} SET v = 2", conn))
        {
            Assert.Equal(2, await cmd.ExecuteNonQueryAsync());
        }

        Assert.Equal(4L, await NodeSql.ScalarAsync<long>(Nodes[0], $"SELECT sum(v) FROM {table}"));
    }

    [PostgresFact]
    public async Task An_error_only_on_another_node_degenerates_it_when_replication_stop_on_mismatch_is_on()
    {
        var table = await CreateReplicatedTableAsync("div_err", "id int primary key");
        await NodeSql.ExecuteAsync(Nodes[1], $"INSERT INTO {table} VALUES (7)");
        await using var proxy = ProxyHost.Start(Cluster, o => o with { ReplicationStopOnMismatch = true });
        await using var conn = await proxy.OpenAsync();
        await using var cmd = new NpgsqlCommand($"INSERT INTO {table} VALUES (7)", conn);
        Assert.Equal(1, await cmd.ExecuteNonQueryAsync());
        Assert.Equal(1L, await NodeSql.CountAsync(Nodes[0], table));
        await using var show = new NpgsqlCommand("SHOW POOL_NODES", conn);
        await using var reader = await show.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.True(await reader.ReadAsync());
        Assert.Equal("down", reader.GetString(reader.GetOrdinal("status")));
    }

    [PostgresFact]
    public async Task Inside_a_transaction_a_divergence_found_later_fails_the_commit_and_nothing_commits()
    {
        // The others' answers inside the client's transaction are compared before its next statement: the
        // UPDATE itself returns main's count, the COMMIT gets the divergence, and no node keeps anything.
        var table = await DivergedTableAsync();
        await using var conn = await OpenAsync();
        await using var tx = await conn.BeginTransactionAsync();
        await using (var cmd = new NpgsqlCommand($"UPDATE {table} SET v = 1", conn, tx))
        {
            Assert.Equal(2, await cmd.ExecuteNonQueryAsync());
        }

        var error = await Assert.ThrowsAsync<PostgresException>(() => tx.CommitAsync());
        Assert.Equal("XX001", error.SqlState);
        Assert.Equal(0L, await NodeSql.ScalarAsync<long>(Nodes[0], $"SELECT sum(v) FROM {table}"));
        Assert.Equal(0L, await NodeSql.ScalarAsync<long>(Nodes[1], $"SELECT sum(v) FROM {table}"));
    }

    [PostgresFact]
    public async Task Inside_a_transaction_an_error_only_on_another_node_fails_the_commit_everywhere()
    {
        // The others' answers to a transaction's plain writes are read together before its COMMIT: both INSERTs get
        // main's answer, the COMMIT the divergence, and no node keeps anything of the transaction.
        var table = await CreateReplicatedTableAsync("div_tx_err", "id int primary key");
        await NodeSql.ExecuteAsync(Nodes[1], $"INSERT INTO {table} VALUES (7)");
        await using var conn = await OpenAsync();
        await using var tx = await conn.BeginTransactionAsync();
        await using (var cmd = new NpgsqlCommand($"INSERT INTO {table} VALUES (7)", conn, tx))
        {
            Assert.Equal(1, await cmd.ExecuteNonQueryAsync()); // main's answer
        }

        await using (var cmd = new NpgsqlCommand($"INSERT INTO {table} VALUES (8)", conn, tx))
        {
            Assert.Equal(1, await cmd.ExecuteNonQueryAsync());
        }

        var error = await Assert.ThrowsAsync<PostgresException>(() => tx.CommitAsync());
        Assert.Equal("XX001", error.SqlState); // Npgsql drops the connection on XX class errors
        Assert.Equal(0L, await NodeSql.CountAsync(Nodes[0], table));
        Assert.Equal(1L, await NodeSql.CountAsync(Nodes[1], table));
    }

    [PostgresFact]
    public async Task Inside_a_transaction_with_mismatch_failover_on_the_odd_node_goes_and_main_commits()
    {
        var table = await DivergedTableAsync();
        await using var proxy = ProxyHost.Start(Cluster, o => o with { FailoverIfAffectedTuplesMismatch = true });
        await using var conn = await proxy.OpenAsync();
        await using (var tx = await conn.BeginTransactionAsync())
        {
            await using (var cmd = new NpgsqlCommand($"UPDATE {table} SET v = 1", conn, tx))
            {
                Assert.Equal(2, await cmd.ExecuteNonQueryAsync());
            }

            await using (var cmd = new NpgsqlCommand($"UPDATE {table} SET v = v + 1", conn, tx))
            {
                Assert.Equal(2, await cmd.ExecuteNonQueryAsync());
            }

            await tx.CommitAsync();
        }

        Assert.Equal(4L, await NodeSql.ScalarAsync<long>(Nodes[0], $"SELECT sum(v) FROM {table}"));
        Assert.Equal(0L, await NodeSql.ScalarAsync<long>(Nodes[1], $"SELECT sum(v) FROM {table}"));
    }
}

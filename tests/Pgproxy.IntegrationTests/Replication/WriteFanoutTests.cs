using Npgsql;
using NpgsqlTypes;
using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Replication;

/// <summary>Every kind of write reaches every node, checked on each node directly.</summary>
[Collection(ReplicationSuite.Name)]
public sealed class WriteFanoutTests(TwoNodes cluster) : ReplicationTestBase(cluster)
{
    [PostgresFact]
    public async Task Simple_and_extended_writes_reach_every_node()
    {
        var table = await CreateReplicatedTableAsync("fan", "id int primary key, v text");
        await using var conn = await OpenAsync();
        await using (var simple = new NpgsqlCommand($"INSERT INTO {table} VALUES (1, 'a'), (2, 'b')", conn))
        {
            Assert.Equal(2, await simple.ExecuteNonQueryAsync());
        }

        await using (var extended = new NpgsqlCommand($"INSERT INTO {table} VALUES ($1, $2)", conn))
        {
            extended.Parameters.AddWithValue(3);
            extended.Parameters.AddWithValue("c");
            Assert.Equal(1, await extended.ExecuteNonQueryAsync());
            await extended.PrepareAsync();
            extended.Parameters[0].Value = 4;
            Assert.Equal(1, await extended.ExecuteNonQueryAsync());
        }

        await using (var update = new NpgsqlCommand($"UPDATE {table} SET v = v || '!' WHERE id <= 2", conn))
        {
            Assert.Equal(2, await update.ExecuteNonQueryAsync());
        }

        await using (var delete = new NpgsqlCommand($"DELETE FROM {table} WHERE id = 4", conn))
        {
            Assert.Equal(1, await delete.ExecuteNonQueryAsync());
        }

        Assert.Equal(3, await AssertNodesIdenticalAsync(table, "id"));
    }

    [PostgresFact]
    public async Task A_batch_mixing_reads_and_writes_runs_everywhere()
    {
        var table = await CreateReplicatedTableAsync("batch", "id int primary key");
        await using var conn = await OpenAsync();
        await using var batch = new NpgsqlBatch(conn)
        {
            BatchCommands =
            {
                new NpgsqlBatchCommand("SELECT 1"),
                new NpgsqlBatchCommand($"INSERT INTO {table} VALUES (1)"),
                new NpgsqlBatchCommand($"INSERT INTO {table} VALUES (2)"),
            },
        };
        await batch.ExecuteNonQueryAsync();
        Assert.Equal(2, await AssertNodesIdenticalAsync(table, "id"));
    }

    [PostgresFact]
    public async Task A_committed_write_is_visible_on_every_node_to_the_next_transaction()
    {
        var table = await CreateReplicatedTableAsync("visible", "id int primary key");
        await using var conn = await OpenAsync();
        for (var i = 0; i < 20; i++)
        {
            await using var cmd = new NpgsqlCommand($"INSERT INTO {table} VALUES ({i})", conn);
            await cmd.ExecuteNonQueryAsync();
            foreach (var node in Nodes)
            {
                Assert.Equal(i + 1, await NodeSql.CountAsync(node, table));
            }
        }
    }

    [PostgresFact]
    public async Task Explicit_transactions_commit_and_roll_back_on_every_node()
    {
        var table = await CreateReplicatedTableAsync("tx", "id int primary key");
        await using var conn = await OpenAsync();
        await using (var tx = await conn.BeginTransactionAsync())
        {
            await using var cmd = new NpgsqlCommand($"INSERT INTO {table} VALUES (1)", conn, tx);
            await cmd.ExecuteNonQueryAsync();
            await tx.CommitAsync();
        }

        await using (var tx = await conn.BeginTransactionAsync())
        {
            await using var cmd = new NpgsqlCommand($"INSERT INTO {table} VALUES (2)", conn, tx);
            await cmd.ExecuteNonQueryAsync();
            await tx.RollbackAsync();
        }

        Assert.Equal(1, await AssertNodesIdenticalAsync(table, "id"));
    }

    [PostgresFact]
    public async Task An_error_on_main_inside_a_transaction_leaves_no_node_with_a_commit()
    {
        var table = await CreateReplicatedTableAsync("txerr", "id int primary key");
        await using var conn = await OpenAsync();
        await using var tx = await conn.BeginTransactionAsync();
        await using (var ok = new NpgsqlCommand($"INSERT INTO {table} VALUES (1)", conn, tx))
        {
            await ok.ExecuteNonQueryAsync();
        }

        await using (var dup = new NpgsqlCommand($"INSERT INTO {table} VALUES (1)", conn, tx))
        {
            var error = await Assert.ThrowsAsync<PostgresException>(() => dup.ExecuteNonQueryAsync());
            Assert.Equal("23505", error.SqlState);
        }

        await using (var after = new NpgsqlCommand("SELECT 1", conn, tx))
        {
            var error = await Assert.ThrowsAsync<PostgresException>(() => after.ExecuteScalarAsync());
            Assert.Equal("25P02", error.SqlState);
        }

        // COMMIT of a failed transaction rolls back, on every node.
        await tx.CommitAsync().ContinueWith(_ => { }, TaskScheduler.Default);
        Assert.Equal(0, await AssertNodesIdenticalAsync(table, "id"));
        await using var check = new NpgsqlCommand("SELECT 1", conn);
        Assert.Equal(1, (int)(await check.ExecuteScalarAsync())!);
    }

    [PostgresFact]
    public async Task Savepoints_roll_back_alike_on_every_node()
    {
        var table = await CreateReplicatedTableAsync("sp", "id int primary key");
        await using var conn = await OpenAsync();
        await using var tx = await conn.BeginTransactionAsync();
        await using (var cmd = new NpgsqlCommand($"INSERT INTO {table} VALUES (1)", conn, tx))
        {
            await cmd.ExecuteNonQueryAsync();
        }

        await tx.SaveAsync("s1");
        await using (var dup = new NpgsqlCommand($"INSERT INTO {table} VALUES (1)", conn, tx))
        {
            await Assert.ThrowsAsync<PostgresException>(() => dup.ExecuteNonQueryAsync());
        }

        await tx.RollbackAsync("s1");
        await using (var cmd = new NpgsqlCommand($"INSERT INTO {table} VALUES (2)", conn, tx))
        {
            await cmd.ExecuteNonQueryAsync();
        }

        await tx.CommitAsync();
        Assert.Equal(2, await AssertNodesIdenticalAsync(table, "id"));
    }

    [PostgresFact]
    public async Task Copy_from_stdin_streams_to_every_node()
    {
        var table = await CreateReplicatedTableAsync("copy", "id int primary key, v text");
        await using var conn = await OpenAsync();
        await using (var importer = await conn.BeginBinaryImportAsync($"COPY {table} (id, v) FROM STDIN (FORMAT BINARY)"))
        {
            for (var i = 0; i < 5000; i++)
            {
                await importer.StartRowAsync();
                await importer.WriteAsync(i, NpgsqlDbType.Integer);
                await importer.WriteAsync(new string('x', i % 200), NpgsqlDbType.Text);
            }

            Assert.Equal(5000UL, await importer.CompleteAsync());
        }

        await using (var writer = await conn.BeginTextImportAsync($"COPY {table} FROM STDIN"))
        {
            await writer.WriteAsync("9001\tnine\n9002\tten\n");
        }

        Assert.Equal(5002, await AssertNodesIdenticalAsync(table, "id"));
    }

    [PostgresFact]
    public async Task Now_in_a_write_is_main_timestamp_on_every_node()
    {
        var table = await CreateReplicatedTableAsync("now", "id int primary key, t timestamptz, d date, l timestamp(2)");
        await using var conn = await OpenAsync();
        for (var i = 0; i < 10; i++)
        {
            await using var cmd = new NpgsqlCommand(
                $"INSERT INTO {table} VALUES ({i}, now(), CURRENT_DATE, LOCALTIMESTAMP(2))", conn);
            await cmd.ExecuteNonQueryAsync();
            await using var ext = new NpgsqlCommand($"UPDATE {table} SET t = CURRENT_TIMESTAMP WHERE id = $1", conn);
            ext.Parameters.AddWithValue(i);
            await ext.ExecuteNonQueryAsync();
        }

        Assert.Equal(10, await AssertNodesIdenticalAsync(table, "id"));
    }

    [PostgresFact]
    public async Task A_write_calling_random_is_refused_with_the_function_named()
    {
        var table = await CreateReplicatedTableAsync("rand", "id int primary key, r float8");
        await using var conn = await OpenAsync();
        await using var cmd = new NpgsqlCommand($"INSERT INTO {table} VALUES (1, random())", conn);
        var error = await Assert.ThrowsAsync<PostgresException>(() => cmd.ExecuteNonQueryAsync());
        Assert.Equal("0A000", error.SqlState);
        Assert.Contains("random", error.MessageText, StringComparison.Ordinal);
        Assert.Equal(0, await AssertNodesIdenticalAsync(table, "id"));
        await using var read = new NpgsqlCommand("SELECT random() < 2", conn);
        Assert.True((bool)(await read.ExecuteScalarAsync())!);
    }

    [PostgresFact]
    public async Task Session_state_and_temp_tables_exist_on_every_node()
    {
        await using var conn = await OpenAsync();
        await using (var cmd = new NpgsqlCommand(
            "SET application_name = 'pgproxy-test'; CREATE TEMP TABLE scratch (id int); INSERT INTO scratch VALUES (1)",
            conn))
        {
            await cmd.ExecuteNonQueryAsync();
        }

        for (var i = 0; i < 4; i++)
        {
            await using var read = new NpgsqlCommand("SELECT count(*) FROM scratch", conn);
            Assert.Equal(1L, (long)(await read.ExecuteScalarAsync())!);
            await using var show = new NpgsqlCommand("SHOW application_name", conn);
            Assert.Equal("pgproxy-test", (string)(await show.ExecuteScalarAsync())!);
        }
    }
}

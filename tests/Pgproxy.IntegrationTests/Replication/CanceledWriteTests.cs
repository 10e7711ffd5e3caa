using Npgsql;
using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Replication;

/// <summary>
/// The client cancels a write that main has run and another node is still running: pgproxy sends the CancelRequest
/// to every node, so only that node fails it (57014). That says nothing about the node's data. The write now fails on
/// every node with 57014, as the client asked, and the node stays up; before, the client got XX001 and, with
/// <c>replication_stop_on_mismatch</c>, a healthy node was taken out by a well-timed cancel. Here a row lock taken on
/// node 1 directly holds the write there, so the cancel always lands between the nodes. Every node is read directly.
/// </summary>
[Collection(ReplicationSuite.Name)]
public sealed class CanceledWriteTests(TwoNodes cluster) : ReplicationTestBase(cluster)
{
    [PostgresTheory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task An_autocommit_write_canceled_between_the_nodes_fails_everywhere_and_the_node_stays(
        bool stopOnMismatch)
    {
        var table = await CreateReplicatedTableAsync("cancelw", "id int primary key, n int");
        await ExecuteOnProxyAsync($"INSERT INTO {table} VALUES (1, 0)");
        await using var proxy = ProxyHost.Start(Cluster, o => o with { ReplicationStopOnMismatch = stopOnMismatch });
        await using var conn = await proxy.OpenAsync();

        await using (var blocker = await LockRowOnNode1Async(table))
        {
            using var cancel = new CancellationTokenSource();
            await using var update = new NpgsqlCommand($"UPDATE {table} SET n = n + 1 WHERE id = 1", conn);
            var updating = update.ExecuteNonQueryAsync(cancel.Token);
            await WaitUntilNode1WaitsAsync($"UPDATE {table}");
            await cancel.CancelAsync(); // Npgsql sends a CancelRequest and reads the server's answer

            await AssertCanceledAsync(updating);
        }

        await AssertBothUpAsync(proxy);
        Assert.Equal(0, await NodeSql.ScalarAsync<int>(Nodes[0], $"SELECT n FROM {table}"));
        Assert.Equal(0, await NodeSql.ScalarAsync<int>(Nodes[1], $"SELECT n FROM {table}"));
        await using (var again = new NpgsqlCommand($"UPDATE {table} SET n = n + 1 WHERE id = 1", conn))
        {
            Assert.Equal(1, await again.ExecuteNonQueryAsync());
        }

        Assert.Equal(1, await AssertNodesIdenticalAsync(table, "id"));
        Assert.Equal(1, await NodeSql.ScalarAsync<int>(Nodes[1], $"SELECT n FROM {table}"));
    }

    [PostgresFact]
    public async Task A_commit_canceled_while_another_node_runs_the_transaction_fails_and_nothing_commits()
    {
        // Inside the transaction node 1 gets the UPDATE with the PREPARE, at COMMIT: that is where it waits.
        var table = await CreateReplicatedTableAsync("cancelc", "id int primary key, n int");
        await ExecuteOnProxyAsync($"INSERT INTO {table} VALUES (1, 0)");
        await using var proxy = ProxyHost.Start(Cluster, o => o with { ReplicationStopOnMismatch = true });
        await using var conn = await proxy.OpenAsync();

        await using (var blocker = await LockRowOnNode1Async(table))
        {
            await using var tx = await conn.BeginTransactionAsync();
            await using (var update = new NpgsqlCommand($"UPDATE {table} SET n = n + 1 WHERE id = 1", conn, tx))
            {
                Assert.Equal(1, await update.ExecuteNonQueryAsync());
            }

            using var cancel = new CancellationTokenSource();
            var committing = tx.CommitAsync(cancel.Token);
            await WaitUntilNode1WaitsAsync($"UPDATE {table}");
            await cancel.CancelAsync();

            await AssertCanceledAsync(committing);
        }

        await AssertBothUpAsync(proxy);
        Assert.Equal(0, await NodeSql.ScalarAsync<int>(Nodes[0], $"SELECT n FROM {table}"));
        Assert.Equal(0, await NodeSql.ScalarAsync<int>(Nodes[1], $"SELECT n FROM {table}"));
        foreach (var node in Nodes)
        {
            Assert.Equal(0L, await NodeSql.ScalarAsync<long>(node,
                $"SELECT count(*) FROM pg_prepared_xacts WHERE database = current_database()"));
        }
    }

    [PostgresFact]
    public async Task An_insert_canceled_on_another_node_before_it_drew_leaves_the_sequences_level()
    {
        // A table lock taken on node 1 directly holds the INSERT there before it draws its id; main has drawn 2.
        var table = await CreateReplicatedTableAsync("cancels", "id serial primary key, v int");
        await ExecuteOnProxyAsync($"INSERT INTO {table}(v) VALUES (1)");
        await using var conn = await OpenAsync();
        await using (var blocker = new NpgsqlConnection(Nodes[1].ConnectionString))
        {
            await blocker.OpenAsync();
            var lockSql = $"BEGIN; LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE";
            await using (var lockTable = new NpgsqlCommand(lockSql, blocker))
            {
                await lockTable.ExecuteNonQueryAsync();
            }

            using var cancel = new CancellationTokenSource();
            await using var insert = new NpgsqlCommand($"INSERT INTO {table}(v) VALUES (2)", conn);
            var inserting = insert.ExecuteNonQueryAsync(cancel.Token);
            await WaitUntilNode1WaitsAsync($"INSERT INTO {table}");
            await cancel.CancelAsync();
            await AssertCanceledAsync(inserting);
        }

        // Node 1 never drew 2: without its sequence set to main's, this row was 3 on main and 2 there.
        await using (var next = new NpgsqlCommand($"INSERT INTO {table}(v) VALUES (3)", conn))
        {
            Assert.Equal(1, await next.ExecuteNonQueryAsync());
        }

        Assert.Equal(2, await AssertNodesIdenticalAsync(table, "id"));
        Assert.Equal(3, await NodeSql.ScalarAsync<int>(Nodes[1], $"SELECT max(id) FROM {table}"));
    }

    [PostgresTheory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task An_insert_timed_out_on_main_after_it_drew_leaves_the_sequences_level(bool inTransaction)
    {
        // A trigger on main only holds the INSERT there after its default drew id 2; statement_timeout ends it. The
        // others never run it, and without their sequences set to main's the next row was 3 on main and 2 there.
        var table = await CreateReplicatedTableAsync("main_timeout", "id serial primary key, v int");
        await ExecuteOnProxyAsync($"INSERT INTO {table}(v) VALUES (1)");
        await NodeSql.ExecuteAsync(Nodes[0], $"""
            CREATE FUNCTION {table}_slow() RETURNS trigger LANGUAGE plpgsql AS
              $$BEGIN PERFORM pg_sleep(10); RETURN NEW; END$$;
            CREATE TRIGGER slow BEFORE INSERT ON {table} FOR EACH ROW EXECUTE FUNCTION {table}_slow();
            """);
        await using var conn = await OpenAsync();
        await using (var set = new NpgsqlCommand("SET statement_timeout = 300", conn))
        {
            await set.ExecuteNonQueryAsync();
        }

        await using (var tx = inTransaction ? await conn.BeginTransactionAsync() : null)
        {
            await using var insert = new NpgsqlCommand($"INSERT INTO {table}(v) VALUES (2)", conn, tx);
            var error = await Assert.ThrowsAsync<PostgresException>(() => insert.ExecuteNonQueryAsync());
            Assert.Equal(PostgresErrorCodes.QueryCanceled, error.SqlState);
        }

        await NodeSql.ExecuteAsync(Nodes[0], $"DROP TRIGGER slow ON {table}");
        await using (var next = new NpgsqlCommand($"RESET statement_timeout; INSERT INTO {table}(v) VALUES (3)", conn))
        {
            await next.ExecuteNonQueryAsync();
        }

        Assert.Equal(2, await AssertNodesIdenticalAsync(table, "id"));
        Assert.Equal(3, await NodeSql.ScalarAsync<int>(Nodes[1], $"SELECT max(id) FROM {table}"));
        await AssertBothUpAsync(Proxy);
    }

    /// <summary>Npgsql reports the server's 57014 for its own cancel as an OperationCanceledException.</summary>
    private static async Task AssertCanceledAsync(Task running)
    {
        var error = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running);
        Assert.Equal(PostgresErrorCodes.QueryCanceled, Assert.IsType<PostgresException>(error.InnerException).SqlState);
    }

    private static async Task AssertBothUpAsync(ProxyHost proxy)
    {
        var statuses = await PoolNodes.StatusesAsync(proxy.ConnectionString());
        Assert.Equal("up", statuses[0]);
        Assert.Equal("up", statuses[1]);
    }

    /// <summary>A transaction on node 1 directly, holding row 1's lock until disposed (then rolled back).</summary>
    private async Task<NpgsqlConnection> LockRowOnNode1Async(string table)
    {
        var conn = new NpgsqlConnection(Nodes[1].ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand($"BEGIN; SELECT 1 FROM {table} WHERE id = 1 FOR UPDATE", conn);
        await cmd.ExecuteNonQueryAsync();
        return conn;
    }

    /// <summary>Polls node 1 until a backend running a statement that starts so waits on a lock.</summary>
    private async Task WaitUntilNode1WaitsAsync(string statementStart)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (await NodeSql.ScalarAsync<long>(Nodes[1], "SELECT count(*) FROM pg_stat_activity " +
                   $"WHERE wait_event_type = 'Lock' AND query LIKE '{statementStart}%'") == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "node 1 never waited on the row lock");
            await Task.Delay(50);
        }
    }
}

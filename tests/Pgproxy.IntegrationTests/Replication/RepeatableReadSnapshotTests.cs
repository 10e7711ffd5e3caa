using System.Data;
using System.Text;
using Npgsql;
using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Replication;

/// <summary>
/// A REPEATABLE READ transaction's snapshot is taken at its first query. Main ran that query at once; node 1 took its
/// snapshot only when the transaction's first write reached it (at COMMIT, held back), so a commit of another session
/// in between was in node 1's snapshot and not in main's: INSERT … SELECT sum() wrote 10 on main and 15 on node 1,
/// every time, and nothing said so. The snapshot is now taken on every node at one point, with the write gate closed.
/// Every node's rows are read directly.
/// </summary>
[Collection(ReplicationSuite.Name)]
public sealed class RepeatableReadSnapshotTests(TwoNodes cluster) : ReplicationTestBase(cluster)
{
    [PostgresTheory]
    [InlineData("REPEATABLE READ", false)]
    [InlineData("REPEATABLE READ", true)]
    [InlineData("SERIALIZABLE", false)]
    public async Task A_commit_between_the_first_query_and_a_write_that_reads_is_outside_every_node_s_snapshot(
        string isolation, bool firstQueryWrites)
    {
        var counter = await CreateReplicatedTableAsync("rrsnap", "id int primary key, n int");
        var log = await CreateReplicatedTableAsync("rrlog", "v int");
        await ExecuteOnProxyAsync($"INSERT INTO {counter} VALUES (1, 10)");
        await using var strict = await RawPgClient.ConnectAsync(Proxy.Port);
        await strict.StartupAsync();
        await using var other = await OpenAsync();

        await strict.QueryAsync($"BEGIN ISOLATION LEVEL {isolation}");
        await strict.QueryAsync(firstQueryWrites ? $"INSERT INTO {log} VALUES (0)" : $"SELECT sum(n) FROM {counter}");
        await using (var update = new NpgsqlCommand($"UPDATE {counter} SET n = n + 5 WHERE id = 1", other))
        {
            Assert.Equal(1, await update.ExecuteNonQueryAsync());
        }

        await strict.QueryAsync($"INSERT INTO {log} SELECT sum(n) FROM {counter}");
        await strict.QueryAsync("COMMIT");

        Assert.Equal(firstQueryWrites ? 2 : 1, await AssertNodesIdenticalAsync(log, "v"));
        foreach (var node in Nodes)
        {
            Assert.Equal(10, await NodeSql.ScalarAsync<int>(node, $"SELECT max(v) FROM {log}"));
        }
    }

    /// <summary>
    /// Npgsql sends BeginTransaction(RepeatableRead)'s BEGIN as a Query in front of the first command's
    /// extended-protocol messages: the same divergence, the same cure.
    /// </summary>
    [PostgresTheory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task An_Npgsql_repeatable_read_transaction_sees_one_snapshot_on_every_node(bool firstQueryWrites)
    {
        var counter = await CreateReplicatedTableAsync("rrsnap", "id int primary key, n int");
        var log = await CreateReplicatedTableAsync("rrlog", "v int");
        await ExecuteOnProxyAsync($"INSERT INTO {counter} VALUES (1, 10)");
        await using var strict = await OpenAsync();
        await using var other = await OpenAsync();

        await using (var transaction = await strict.BeginTransactionAsync(IsolationLevel.RepeatableRead))
        {
            var first = firstQueryWrites ? $"INSERT INTO {log} VALUES (0)" : $"SELECT sum(n) FROM {counter}";
            await using (var command = new NpgsqlCommand(first, strict, transaction))
            {
                await command.ExecuteNonQueryAsync();
            }

            await using (var update = new NpgsqlCommand($"UPDATE {counter} SET n = n + 5 WHERE id = 1", other))
            {
                Assert.Equal(1, await update.ExecuteNonQueryAsync());
            }

            var logSum = $"INSERT INTO {log} SELECT sum(n) FROM {counter}";
            await using (var insert = new NpgsqlCommand(logSum, strict, transaction))
            {
                Assert.Equal(1, await insert.ExecuteNonQueryAsync());
            }

            await transaction.CommitAsync();
        }

        Assert.Equal(firstQueryWrites ? 2 : 1, await AssertNodesIdenticalAsync(log, "v"));
        foreach (var node in Nodes)
        {
            Assert.Equal(10, await NodeSql.ScalarAsync<int>(node, $"SELECT max(v) FROM {log}"));
        }
    }

    /// <summary>
    /// A plain BEGIN runs under the session's default_transaction_isolation, which pgproxy learns from main: set by
    /// the client (SET, SET SESSION CHARACTERISTICS) or by the startup options (as ALTER ROLE … SET would), and
    /// changed back by RESET, after which the same sequence is READ COMMITTED (every node logs 15).
    /// </summary>
    [PostgresTheory]
    [InlineData("SET default_transaction_isolation = 'repeatable read'", null)]
    [InlineData("SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL SERIALIZABLE", null)]
    [InlineData(null, "-c default_transaction_isolation=repeatable\\ read")]
    public async Task A_plain_begin_under_a_strict_session_default_sees_one_snapshot_on_every_node(string? set,
        string? options)
    {
        var counter = await CreateReplicatedTableAsync("rrsnap", "id int primary key, n int");
        var log = await CreateReplicatedTableAsync("rrlog", "v int");
        await ExecuteOnProxyAsync($"INSERT INTO {counter} VALUES (1, 10)");
        await using var strict = await OpenAsync(b => b.Options = options);
        await using var other = await OpenAsync();
        if (set is not null)
        {
            await ExecuteAsync(strict, set);
        }

        // A BEGIN of its own: Npgsql's BeginTransaction() names READ COMMITTED.
        async Task RunAsync()
        {
            await ExecuteAsync(strict, "BEGIN");
            await ExecuteAsync(strict, $"SELECT sum(n) FROM {counter}");
            await ExecuteAsync(other, $"UPDATE {counter} SET n = n + 5 WHERE id = 1");
            await ExecuteAsync(strict, $"INSERT INTO {log} SELECT sum(n) FROM {counter}");
            await ExecuteAsync(strict, "COMMIT");
        }

        await RunAsync();
        await ExecuteAsync(strict, "RESET ALL");
        await RunAsync();

        Assert.Equal(2, await AssertNodesIdenticalAsync(log, "v"));
        foreach (var node in Nodes)
        {
            var logged = await NodeSql.ScalarAsync<string>(node,
                $"SELECT string_agg(v::text, ',' ORDER BY v) FROM {log}");
            Assert.Equal(options is null ? "10,20" : "10,15", logged);
        }
    }

    /// <summary>
    /// SET TRANSACTION SNAPSHOT imports a snapshot exported on main (pg_export_snapshot, a replication slot's
    /// EXPORT_SNAPSHOT), which no other node has: it runs on main alone, and the transaction reads main's data as of
    /// that snapshot. Sent to every node it failed on node 1 (22023), which Npgsql's
    /// CreateLogicalReplicationSlot_Export tests met as XX001 once the first query settled node 1's answer.
    /// </summary>
    [PostgresTheory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_snapshot_exported_on_main_is_imported_there_alone(bool npgsql)
    {
        var table = await CreateReplicatedTableAsync("rrimport", "v text");
        await ExecuteOnProxyAsync($"INSERT INTO {table} VALUES ('before')");
        await using var exporter = new NpgsqlConnection(Nodes[0].ConnectionString);
        await exporter.OpenAsync();
        await using var exporting = await exporter.BeginTransactionAsync(IsolationLevel.RepeatableRead);
        string name;
        await using (var export = new NpgsqlCommand("SELECT pg_export_snapshot()", exporter, exporting))
        {
            name = (string)(await export.ExecuteScalarAsync())!;
        }

        await ExecuteOnProxyAsync($"INSERT INTO {table} VALUES ('after')");
        if (npgsql)
        {
            await using var conn = await OpenAsync();
            await using var transaction = await conn.BeginTransactionAsync(IsolationLevel.RepeatableRead);
            await ExecuteAsync(conn, $"SET TRANSACTION SNAPSHOT '{name}'", transaction);
            await using var count = new NpgsqlCommand($"SELECT count(*) FROM {table}", conn, transaction);
            Assert.Equal(1L, await count.ExecuteScalarAsync());
            await transaction.CommitAsync();
        }
        else
        {
            await using var raw = await RawPgClient.ConnectAsync(Proxy.Port);
            await raw.StartupAsync();
            await raw.QueryAsync("BEGIN ISOLATION LEVEL REPEATABLE READ");
            await raw.QueryAsync($"SET TRANSACTION SNAPSHOT '{name}'");
            await raw.SendAsync(RawPgClient.Query($"SELECT count(*) FROM {table}"));
            var row = (await raw.ReadUntilAsync('Z')).Single(m => m.Type == 'D').Body;
            Assert.Equal("1", Encoding.UTF8.GetString(row.AsSpan(6)));
            await raw.QueryAsync("COMMIT");
        }

        Assert.Equal(2, await AssertNodesIdenticalAsync(table, "v"));
    }

    /// <summary>
    /// Six REPEATABLE READ clients (two simple protocol, two Npgsql, one sending each transaction as one string,
    /// one sending BEGIN in the group of the first query as pgjdbc does) log the counter's sum while four others increment it in autocommit: every strict transaction closes the
    /// write gate at its first query, so they wait for each other and for the commits in flight, but none may hang,
    /// fail or leave the nodes apart.
    /// </summary>
    [PostgresFact]
    public async Task Concurrent_strict_transactions_and_commits_leave_identical_nodes()
    {
        var counter = await CreateReplicatedTableAsync("rrsnap", "id int primary key, n int");
        var log = await CreateReplicatedTableAsync("rrlog", "client int, i int, v bigint");
        await ExecuteOnProxyAsync($"INSERT INTO {counter} VALUES (1, 0)");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));

        var npgsqlClients = Enumerable.Range(2, 2).Select(async client =>
        {
            await using var conn = await OpenAsync();
            for (var i = 0; i < 20 && !timeout.IsCancellationRequested; i++)
            {
                await using var transaction =
                    await conn.BeginTransactionAsync(IsolationLevel.RepeatableRead, timeout.Token);
                await using (var read = new NpgsqlCommand($"SELECT n FROM {counter}", conn, transaction))
                {
                    await read.ExecuteScalarAsync(timeout.Token);
                }

                await using (var insert = new NpgsqlCommand(
                    $"INSERT INTO {log} SELECT {client}, {i}, sum(n) FROM {counter}", conn, transaction))
                {
                    await insert.ExecuteNonQueryAsync(timeout.Token);
                }

                await transaction.CommitAsync(timeout.Token);
            }
        });
        var strictClients = Enumerable.Range(0, 2).Select(async client =>
        {
            await using var raw = await RawPgClient.ConnectAsync(Proxy.Port);
            await raw.StartupAsync();
            for (var i = 0; i < 20 && !timeout.IsCancellationRequested; i++)
            {
                await raw.QueryAsync("BEGIN ISOLATION LEVEL REPEATABLE READ");
                await raw.QueryAsync($"SELECT n FROM {counter}");
                await raw.QueryAsync($"INSERT INTO {log} SELECT {client}, {i}, sum(n) FROM {counter}");
                await raw.QueryAsync("COMMIT");
            }
        });
        var oneStringClient = Task.Run(async () =>
        {
            // The whole transaction in one Query string: pgproxy runs it in steps, the first query shared.
            await using var raw = await RawPgClient.ConnectAsync(Proxy.Port);
            await raw.StartupAsync();
            for (var i = 0; i < 20 && !timeout.IsCancellationRequested; i++)
            {
                await raw.QueryAsync($"BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT n FROM {counter}; " +
                                      $"INSERT INTO {log} SELECT 4, {i}, sum(n) FROM {counter}; COMMIT");
            }
        });
        var groupedBeginClient = Task.Run(async () =>
        {
            await using var raw = await RawPgClient.ConnectAsync(Proxy.Port);
            await raw.StartupAsync();
            for (var i = 0; i < 20 && !timeout.IsCancellationRequested; i++)
            {
                await raw.SendAsync(RawPgClient.Step("BEGIN ISOLATION LEVEL REPEATABLE READ"),
                    RawPgClient.Step($"SELECT n FROM {counter}"), RawPgClient.Sync());
                var first = await raw.ReadUntilReadyAsync();
                Assert.Equal("12C12DCZ", RawPgClient.Types(first));
                Assert.DoesNotContain(first, m => m.Type == 'N');
                await raw.SendAsync(RawPgClient.Step($"INSERT INTO {log} SELECT 5, {i}, sum(n) FROM {counter}"),
                    RawPgClient.Step("COMMIT"), RawPgClient.Sync());
                Assert.Equal("12C12CZ", RawPgClient.Types(await raw.ReadUntilReadyAsync()));
            }
        });
        var updaters = Enumerable.Range(0, 4).Select(async _ =>
        {
            await using var conn = await OpenAsync();
            for (var i = 0; i < 40 && !timeout.IsCancellationRequested; i++)
            {
                await using var update = new NpgsqlCommand($"UPDATE {counter} SET n = n + 1 WHERE id = 1", conn);
                await update.ExecuteNonQueryAsync(timeout.Token);
            }
        });

        await Task.WhenAll(strictClients.Concat(npgsqlClients).Concat(updaters).Append(oneStringClient)
                .Append(groupedBeginClient))
            .WaitAsync(timeout.Token);

        Assert.Equal(120, await AssertNodesIdenticalAsync(log, "client, i"));
        Assert.Equal(1, await AssertNodesIdenticalAsync(counter, "id"));
        foreach (var node in Nodes)
        {
            Assert.Equal(160, await NodeSql.ScalarAsync<int>(node, $"SELECT n FROM {counter}"));
        }
    }

    private static async Task ExecuteAsync(NpgsqlConnection conn, string sql, NpgsqlTransaction? transaction = null)
    {
        await using var command = new NpgsqlCommand(sql, conn, transaction);
        await command.ExecuteNonQueryAsync();
    }
}

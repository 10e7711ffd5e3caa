using System.Globalization;
using Npgsql;
using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Replication;

/// <summary>
/// Writes inside the client's transaction (psql, pgbench; simple and extended protocol): the other nodes get
/// them without pgproxy waiting for their answers — held back and sent together at the latest with the COMMIT —
/// and are still ordered by main, compared before anything commits, and rolled back with savepoints.
/// </summary>
[Collection(ReplicationSuite.Name)]
public sealed class TransactionWriteTests(TwoNodes cluster) : ReplicationTestBase(cluster)
{
    [PostgresTheory]
    [InlineData("simple")]
    [InlineData("prepared")]
    public async Task Conflicting_transactions_of_several_writes_from_16_clients_leave_identical_nodes(string mode)
    {
        // Four hot rows in two pairs; a transaction updates both rows of a pair (lower id first, so main sees no
        // deadlock), upserts and deletes in another table: the others run each transaction's writes in one go at
        // its COMMIT, so only main's order keeps them equal.
        var hot = await CreateReplicatedTableAsync("hot", "id int primary key, v bigint not null");
        var log = await CreateReplicatedTableAsync("hotlog", "id int primary key, c bigint not null");
        await ExecuteOnProxyAsync($"INSERT INTO {hot} SELECT g, g FROM generate_series(1, 4) g");
        var script = Path.Combine(Path.GetTempPath(), $"{hot}.sql");
        await File.WriteAllTextAsync(script, string.Join('\n',
            @"\set k random(1, 4)",
            @"\set a least(:k, 5 - :k)",
            @"\set b greatest(:k, 5 - :k)",
            "BEGIN;",
            $"UPDATE {hot} SET v = v + :client_id WHERE id = :a;",
            $"INSERT INTO {log} VALUES (:k, :client_id) ON CONFLICT (id) DO UPDATE SET c = {log}.c * 3 + excluded.c;",
            $"UPDATE {hot} SET v = (v * 7 + :k) % 1000003 WHERE id = :b;",
            $"DELETE FROM {log} WHERE id = 5 - :k AND c % 2 = 0;",
            "COMMIT;",
            ""));
        try
        {
            var run = await PgTools.PgbenchAsync(Proxy.Port, "-n", "-M", mode, "-c", "16", "-j", "2", "-t", "40",
                "-f", script);
            Assert.True(run.ExitCode == 0, run.StdOut + run.StdErr);
            Assert.Contains("number of failed transactions: 0", run.StdOut, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(script);
        }

        Assert.Equal(4, await AssertNodesIdenticalAsync(hot, "id"));
        await AssertNodesIdenticalAsync(log, "id");
        Assert.NotEqual(10L, await NodeSql.ScalarAsync<long>(Nodes[1], $"SELECT sum(v)::bigint FROM {hot}"));
    }

    [PostgresFact]
    public async Task A_divergence_in_an_early_write_fails_the_commit_and_no_node_keeps_any_write()
    {
        var table = await CreateReplicatedTableAsync("early", "id int primary key, v int");
        await ExecuteOnProxyAsync($"INSERT INTO {table} VALUES (1, 0), (2, 0)");
        await NodeSql.ExecuteAsync(Nodes[1], $"INSERT INTO {table} VALUES (3, 0)"); // node 1 alone

        var result = await PsqlAsync("BEGIN", $"UPDATE {table} SET v = 1", $"INSERT INTO {table} VALUES (10, 0)",
            $"UPDATE {table} SET v = v + 1 WHERE id = 1", "COMMIT");

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("XX001", result.StdErr, StringComparison.Ordinal);
        Assert.Contains("UPDATE 2", result.StdOut, StringComparison.Ordinal); // main's answer, at once
        foreach (var node in Nodes)
        {
            Assert.Equal(0L, await NodeSql.ScalarAsync<long>(node, $"SELECT sum(v) FROM {table}"));
            Assert.Equal(0L, await NodeSql.ScalarAsync<long>(node, $"SELECT count(*) FROM {table} WHERE id = 10"));
            // Node 1 prepared it (its answers are read with its PREPARE): rolled back, not left holding its locks.
            Assert.Equal(0L, await NodeSql.ScalarAsync<long>(node, "SELECT count(*) FROM pg_prepared_xacts"));
        }
    }

    [PostgresFact]
    public async Task An_error_only_on_another_node_fails_the_commit_and_nothing_commits()
    {
        var table = await CreateReplicatedTableAsync("othererr", "id int primary key");
        await NodeSql.ExecuteAsync(Nodes[1], $"INSERT INTO {table} VALUES (7)");

        var result = await PsqlAsync("BEGIN", $"INSERT INTO {table} VALUES (7)", $"INSERT INTO {table} VALUES (8)",
            "COMMIT");

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("XX001", result.StdErr, StringComparison.Ordinal);
        Assert.Equal(0L, await NodeSql.CountAsync(Nodes[0], table));
        Assert.Equal("7", await NodeSql.ScalarAsync<string>(Nodes[1], $"SELECT string_agg(id::text, ',') FROM {table}"));
        foreach (var node in Nodes)
        {
            Assert.Equal(0L, await NodeSql.ScalarAsync<long>(node, "SELECT count(*) FROM pg_prepared_xacts"));
        }
    }

    [PostgresFact]
    public async Task Writes_around_a_rolled_back_savepoint_reach_every_node_in_order()
    {
        var table = await CreateReplicatedTableAsync("svp", "id int primary key, v int");
        var result = await PsqlAsync("BEGIN", $"INSERT INTO {table} VALUES (1, 1)", $"UPDATE {table} SET v = 2",
            "SAVEPOINT s", $"INSERT INTO {table} VALUES (2, 2)", $"UPDATE {table} SET v = v * 10", "ROLLBACK TO s",
            $"INSERT INTO {table} VALUES (3, 3)", $"UPDATE {table} SET v = v + 1", "COMMIT");
        result.EnsureSuccess();

        Assert.Equal(2, await AssertNodesIdenticalAsync(table, "id"));
        Assert.Equal("1:3,3:4", await NodeSql.ScalarAsync<string>(Nodes[1],
            $"SELECT string_agg(id || ':' || v, ',' ORDER BY id) FROM {table}"));
    }

    [PostgresFact]
    public async Task A_committed_transaction_of_many_writes_is_on_every_node_for_the_next_one()
    {
        // More writes than pgproxy keeps waiting at once: the others get them in several sends.
        var table = await CreateReplicatedTableAsync("many", "id int primary key, pad text");
        var pad = new string('x', 3000);
        var statements = new List<string> { "BEGIN" };
        for (var i = 1; i <= 150; i++)
        {
            statements.Add(string.Create(CultureInfo.InvariantCulture, $"INSERT INTO {table} VALUES ({i}, '{pad}')"));
        }

        statements.Add("COMMIT");
        (await PsqlAsync([.. statements])).EnsureSuccess();

        Assert.Equal(150, await AssertNodesIdenticalAsync(table, "id"));
    }

    [PostgresFact]
    public async Task A_simple_BEGIN_then_extended_writes_and_an_extended_COMMIT_commit_on_every_node()
    {
        // Npgsql sends BeginTransaction's BEGIN as a simple Query; a COMMIT run as a command goes by the extended
        // protocol. The COMMIT once went to main alone and the other node never got the transaction's writes.
        var table = await CreateReplicatedTableAsync("simplebegin", "id int primary key");
        await using var conn = await OpenAsync();
        await using (var tx = await conn.BeginTransactionAsync())
        {
            for (var i = 1; i <= 3; i++)
            {
                await using var insert = new NpgsqlCommand($"INSERT INTO {table} VALUES ($1)", conn);
                insert.Parameters.AddWithValue(i);
                Assert.Equal(1, await insert.ExecuteNonQueryAsync());
            }

            await using var commit = new NpgsqlCommand("COMMIT", conn);
            await commit.ExecuteNonQueryAsync();
        }

        Assert.Equal(3, await AssertNodesIdenticalAsync(table, "id"));
    }

    [PostgresFact]
    public async Task An_extended_COMMIT_whose_held_back_writes_diverge_fails_and_leaves_nothing_prepared()
    {
        // The extended COMMIT sends node 1's PREPARE behind its held-back writes; their answers differ from main's
        // (node 1 has a row more), so the prepared transaction is rolled back and the COMMIT fails.
        var table = await CreateReplicatedTableAsync("extdiverge", "id int primary key, v int");
        await ExecuteOnProxyAsync($"INSERT INTO {table} VALUES (1, 0), (2, 0)");
        await NodeSql.ExecuteAsync(Nodes[1], $"INSERT INTO {table} VALUES (3, 0)"); // node 1 alone
        await using var conn = await OpenAsync();
        await using (var tx = await conn.BeginTransactionAsync())
        {
            await using var update = new NpgsqlCommand($"UPDATE {table} SET v = $1", conn);
            update.Parameters.AddWithValue(1);
            Assert.Equal(2, await update.ExecuteNonQueryAsync()); // main's answer, at once
            await using var commit = new NpgsqlCommand("COMMIT", conn);
            var error = await Assert.ThrowsAsync<PostgresException>(() => commit.ExecuteNonQueryAsync());
            Assert.Equal("XX001", error.SqlState);
        }

        foreach (var node in Nodes)
        {
            Assert.Equal(0L, await NodeSql.ScalarAsync<long>(node, $"SELECT sum(v) FROM {table}"));
            Assert.Equal(0L, await NodeSql.ScalarAsync<long>(node, "SELECT count(*) FROM pg_prepared_xacts"));
        }
    }

    /// <summary>psql with each statement its own Query message; errors in verbose form (with their SQLSTATE).</summary>
    private Task<ProcessResult> PsqlAsync(params string[] statements) =>
        PgTools.PsqlAsync(Proxy.Port,
            ["-v", "ON_ERROR_STOP=1", "-v", "VERBOSITY=verbose", .. statements.SelectMany(s => new[] { "-c", s })]);
}

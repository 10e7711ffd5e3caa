using Npgsql;
using NpgsqlTypes;
using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Replication;

/// <summary>
/// Time-based defaults (DESIGN §4) beyond plain INSERTs: COPY gets main's values appended for the others, what
/// cannot be given main's value is refused with the column named, defaults added later are seen, and concurrent
/// clients leave identical nodes. The INSERT shapes are in <see cref="TimeDefaultTests"/>.
/// </summary>
[Collection(ReplicationSuite.Name)]
public sealed class TimeDefaultCopyAndSchemaTests(TwoNodes cluster) : TimeDefaultTestBase(cluster)
{
    [PostgresFact]
    public async Task Copy_in_text_and_csv_appends_mains_values_for_the_others()
    {
        var table = await CreateReplicatedTableAsync("tdefcopy", Columns);
        await using var conn = await OpenAsync();
        await using (var text = await conn.BeginTextImportAsync($"COPY {table} (id, v) FROM STDIN"))
        {
            for (var i = 1; i <= 2000; i++)
            {
                await text.WriteAsync($"{i}\tline\\nwith escapes \\\\ {i}\n");
            }
        }

        await using (var csv = await conn.BeginTextImportAsync(
                         $"COPY {table} (id, v) FROM STDIN WITH (FORMAT csv, HEADER true, DELIMITER ';')"))
        {
            await csv.WriteAsync("id;v\r\n3001;\"quoted;\r\nnewline \"\"and quotes\"\"\"\r\n3002;plain\r\n3003;\"last\"");
        }

        await using (var tx = await conn.BeginTransactionAsync())
        {
            await using (var inTx = await conn.BeginTextImportAsync($"COPY {table} (id, created) FROM STDIN CSV"))
            {
                await inTx.WriteAsync("4001,2020-01-01 00:00:00+00\n4002,2020-01-02 00:00:00+00\n");
            }

            await tx.CommitAsync();
        }

        await AssertSameTimesAsync(table, 2005);
        Assert.Equal("quoted;\r\nnewline \"and quotes\"",
            await NodeSql.ScalarAsync<string>(Nodes[1], $"SELECT v FROM {table} WHERE id = 3001"));
        Assert.Equal(2, await NodeSql.ScalarAsync<long>(Nodes[1],
            $"SELECT count(*) FROM {table} WHERE created < '2021-01-01' AND l IS NOT NULL"));
    }

    [PostgresFact]
    public async Task Binary_copy_leaving_out_a_time_default_is_refused_with_the_column_named()
    {
        var table = await CreateReplicatedTableAsync("tdefbin", Columns);
        await using var conn = await OpenAsync();
        var error = await Assert.ThrowsAsync<PostgresException>(async () =>
        {
            await using var importer = await conn.BeginBinaryImportAsync($"COPY {table} (id, v) FROM STDIN (FORMAT BINARY)");
            await importer.StartRowAsync();
            await importer.WriteAsync(1, NpgsqlDbType.Integer);
            await importer.WriteAsync("x", NpgsqlDbType.Text);
            await importer.CompleteAsync();
        });
        Assert.Equal("0A000", error.SqlState);
        Assert.Contains("\"created\"", error.MessageText, StringComparison.Ordinal);

        // With every diverging column given, binary COPY still works.
        await using (var importer = await conn.BeginBinaryImportAsync(
                         $"COPY {table} (id, v, created, d, l, later) FROM STDIN (FORMAT BINARY)"))
        {
            await importer.StartRowAsync();
            await importer.WriteAsync(1, NpgsqlDbType.Integer);
            await importer.WriteAsync("x", NpgsqlDbType.Text);
            await importer.WriteAsync(DateTime.UnixEpoch, NpgsqlDbType.TimestampTz);
            await importer.WriteAsync(new DateOnly(2020, 1, 1), NpgsqlDbType.Date);
            await importer.WriteAsync(new DateTime(2020, 1, 1), NpgsqlDbType.Timestamp);
            await importer.WriteAsync(DateTime.UnixEpoch, NpgsqlDbType.TimestampTz);
            await importer.CompleteAsync();
        }

        Assert.Equal(1, await AssertNodesIdenticalAsync(table, "id"));
    }

    [PostgresFact]
    public async Task A_volatile_default_left_out_is_refused_with_the_column_and_function_named()
    {
        // The CREATE TABLE only stores its defaults, so it passes (both protocols); using them is what is refused.
        var table = await CreateReplicatedTableAsync("tdefvol",
            "id int primary key, r float8 default random(), u uuid default gen_random_uuid()");
        var alter = await PgTools.PsqlAsync(Proxy.Port, "-v", "ON_ERROR_STOP=1", "-c",
            $"ALTER TABLE {table} ALTER COLUMN r SET DEFAULT random() * 2");
        alter.EnsureSuccess();
        var addColumn = await PgTools.PsqlAsync(Proxy.Port, "-v", "ON_ERROR_STOP=1", "-c",
            $"ALTER TABLE {table} ADD COLUMN x float8 DEFAULT random()");
        Assert.False(addColumn.Succeeded, "ALTER TABLE … ADD COLUMN … DEFAULT random() fills existing rows: refused");

        await using var conn = await OpenAsync();
        string[] refused =
        [
            $"INSERT INTO {table} (id) VALUES (1)",
            $"INSERT INTO {table} (id, r, u) VALUES (1, DEFAULT, '00000000-0000-0000-0000-000000000002')",
            $"PREPARE p AS INSERT INTO {table} (id, r) VALUES ($1, 0)",
        ];
        foreach (var sql in refused)
        {
            // Through psql (simple query protocol) and Npgsql (extended protocol).
            var result = await PgTools.PsqlAsync(Proxy.Port, "-v", "ON_ERROR_STOP=1", "-c", sql);
            Assert.False(result.Succeeded, $"not refused through psql: {sql}");
            Assert.Matches("\"[ru]\".*random", result.StdErr);
            await using var cmd = new NpgsqlCommand(sql, conn);
            var error = await Record.ExceptionAsync(() => cmd.ExecuteNonQueryAsync()) as PostgresException;
            Assert.True(error is not null, $"not refused through Npgsql: {sql}");
            Assert.Equal("0A000", error.SqlState);
            Assert.Matches("\"[ru]\".*random", error.MessageText);
        }

        await using (var ext = new NpgsqlCommand($"INSERT INTO {table} (id, r) VALUES ($1, $2)", conn))
        {
            ext.Parameters.AddWithValue(1);
            ext.Parameters.AddWithValue(0.5);
            var error = await Assert.ThrowsAsync<PostgresException>(() => ext.ExecuteNonQueryAsync());
            Assert.Equal("0A000", error.SqlState);
            Assert.Contains("\"u\"", error.MessageText, StringComparison.Ordinal);
            Assert.Contains("gen_random_uuid()", error.MessageText, StringComparison.Ordinal);
        }

        var copyError = await Assert.ThrowsAsync<PostgresException>(async () =>
        {
            await using var copy = await conn.BeginTextImportAsync($"COPY {table} (id) FROM STDIN");
            await copy.WriteAsync("3\n");
        });
        Assert.Equal("0A000", copyError.SqlState);
        Assert.Contains("\"r\"", copyError.MessageText, StringComparison.Ordinal);

        await using (var given = new NpgsqlCommand(
                         $"INSERT INTO {table} VALUES (2, 0.25, '00000000-0000-0000-0000-000000000001')", conn))
        {
            await given.ExecuteNonQueryAsync();
        }

        Assert.Equal(1, await AssertNodesIdenticalAsync(table, "id"));
    }

    [PostgresFact]
    public async Task A_default_added_later_or_inside_a_transaction_is_seen()
    {
        var table = await CreateReplicatedTableAsync("tdefddl", "id int primary key, v text");
        await using var conn = await OpenAsync();
        await using (var before = new NpgsqlCommand($"INSERT INTO {table} (id) VALUES (1)", conn))
        {
            await before.ExecuteNonQueryAsync();
        }

        await ExecuteOnProxyAsync($"ALTER TABLE {table} ADD COLUMN created timestamptz");
        await ExecuteOnProxyAsync($"ALTER TABLE {table} ALTER COLUMN created SET DEFAULT now()");
        await using (var after = new NpgsqlCommand($"INSERT INTO {table} (id) VALUES (2)", conn))
        {
            await after.ExecuteNonQueryAsync();
        }

        await using (var tx = await conn.BeginTransactionAsync())
        {
            await using var alter = new NpgsqlCommand(
                $"ALTER TABLE {table} ADD COLUMN d date DEFAULT current_date", conn, tx);
            await alter.ExecuteNonQueryAsync();
            await using var insert = new NpgsqlCommand($"INSERT INTO {table} (id) VALUES (3)", conn, tx);
            await insert.ExecuteNonQueryAsync();
            await tx.CommitAsync();
        }

        await using (var last = new NpgsqlCommand($"INSERT INTO {table} (id) VALUES (4)", conn))
        {
            await last.ExecuteNonQueryAsync();
        }

        Assert.Equal(4, await AssertNodesIdenticalAsync(table, "id"));
        Assert.Equal(3, await NodeSql.ScalarAsync<long>(Nodes[1], $"SELECT count(created) FROM {table}"));
    }

    [PostgresFact]
    public async Task Sixteen_clients_inserting_with_time_defaults_leave_identical_nodes()
    {
        var table = await CreateReplicatedTableAsync("tdefconc",
            "id serial primary key, client int, created timestamptz default now(), d date default current_date");
        // Half the clients use the simple query protocol (psql), half the extended one (Npgsql).
        var psqlClients = Enumerable.Range(8, 8).Select(async client =>
        {
            var statements = new List<string>();
            for (var i = 0; i < 20; i++)
            {
                statements.AddRange(i % 4 == 0
                    ? ["BEGIN", $"INSERT INTO {table} (client) VALUES ({client})",
                        $"INSERT INTO {table} (client, d) VALUES ({client}, DEFAULT)", "COMMIT"]
                    : i % 2 == 0
                        ? [$"INSERT INTO {table} (client) VALUES ({client})"]
                        : [$"INSERT INTO {table} (client) VALUES ({client}), ({client})"]);
            }

            await PsqlAsync([.. statements]);
        });
        var clients = Enumerable.Range(0, 8).Select(async client =>
        {
            await using var conn = await OpenAsync();
            for (var i = 0; i < 20; i++)
            {
                if (i % 4 == 0)
                {
                    await using var tx = await conn.BeginTransactionAsync();
                    await using var a = new NpgsqlCommand($"INSERT INTO {table} (client) VALUES ({client})", conn, tx);
                    await a.ExecuteNonQueryAsync();
                    await using var b = new NpgsqlCommand($"INSERT INTO {table} (client) VALUES ($1)", conn, tx);
                    b.Parameters.AddWithValue(client);
                    await b.ExecuteNonQueryAsync();
                    await tx.CommitAsync();
                }
                else if (i % 2 == 0)
                {
                    await using var insert = new NpgsqlCommand($"INSERT INTO {table} (client) VALUES ($1)", conn);
                    insert.Parameters.AddWithValue(client);
                    await insert.ExecuteNonQueryAsync();
                }
                else
                {
                    await using var insert = new NpgsqlCommand(
                        $"INSERT INTO {table} (client) VALUES ({client}), ({client})", conn);
                    await insert.ExecuteNonQueryAsync();
                }
            }
        }).Concat(psqlClients).ToArray();
        await Task.WhenAll(clients);

        Assert.Equal(16 * (5 * 2 + 5 + 10 * 2), await AssertNodesIdenticalAsync(table, "id"));
        Assert.Equal(0, await NodeSql.ScalarAsync<long>(Nodes[1], $"SELECT count(*) FROM {table} WHERE created IS NULL"));
    }

    [PostgresFact]
    public async Task A_column_added_with_a_time_default_gets_mains_time_in_existing_rows_and_keeps_its_expression()
    {
        // PostgreSQL fills the existing rows with the default evaluated once, as the ALTER runs: each node would use
        // its own clock. Simple protocol (psql) and extended (Npgsql) alike.
        var table = await CreateReplicatedTableAsync("tdefalter", "id int primary key");
        await ExecuteOnProxyAsync($"INSERT INTO {table} SELECT generate_series(1, 3)");
        await PsqlAsync($"ALTER TABLE {table} ADD COLUMN created timestamptz NOT NULL DEFAULT now()");
        await ExecuteOnProxyAsync($"ALTER TABLE {table} ADD COLUMN d date DEFAULT CURRENT_DATE, " +
                                  "ADD COLUMN later timestamptz DEFAULT now() + interval '1 hour'");
        await PsqlAsync($"INSERT INTO {table} (id) VALUES (4)");

        Assert.Equal(4, await AssertNodesIdenticalAsync(table, "id"));
        foreach (var node in Nodes)
        {
            Assert.Equal("now()|CURRENT_DATE|(now() + '01:00:00'::interval)", await NodeSql.ScalarAsync<string>(node,
                "SELECT string_agg(pg_get_expr(d.adbin, d.adrelid), '|' ORDER BY a.attnum) FROM pg_attrdef d " +
                $"JOIN pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum WHERE d.adrelid = '{table}'::regclass"));
        }

        // The three existing rows share the first ALTER's time; the new row has its own, the same on every node.
        Assert.Equal(2L, await NodeSql.ScalarAsync<long>(Nodes[1], $"SELECT count(DISTINCT created) FROM {table}"));
    }
}

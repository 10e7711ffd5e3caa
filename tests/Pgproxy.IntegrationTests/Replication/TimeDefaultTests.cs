using System.Globalization;
using Npgsql;
using NpgsqlTypes;
using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Replication;

/// <summary>
/// Columns an INSERT or COPY leaves to a time-based default (DESIGN §4): each node would evaluate now() on its
/// own clock, so the others must get main's value. Every test reads the values on each node directly.
/// </summary>
[Collection(ReplicationSuite.Name)]
public sealed class TimeDefaultTests(TwoNodes cluster) : ReplicationTestBase(cluster)
{
    private const string Columns = "id int primary key, v text, created timestamptz default now(), "
                                   + "d date default current_date, l timestamp(2) default localtimestamp(2), "
                                   + "later timestamptz default now() + interval '1 day'";

    /// <summary>INSERTs of every shape; {0} is the table.</summary>
    private static readonly string[] Shapes =
    [
        "INSERT INTO {0} (id, v) VALUES (1, 'a')",
        "INSERT INTO {0} (id) VALUES (2), (3), (4)",
        "INSERT INTO {0} (id, created, d) VALUES (5, DEFAULT, DEFAULT)",
        "INSERT INTO {0} VALUES (6, 'no column list')",
        "INSERT INTO {0} (id, v) SELECT g, 'g' FROM generate_series(7, 9) g",
        "INSERT INTO {0} (id, v) VALUES (1, 'again') ON CONFLICT (id) DO UPDATE SET created = DEFAULT, v = excluded.v",
        "WITH x AS (INSERT INTO {0} (id) VALUES (10) RETURNING id) SELECT count(*) FROM x",
        "/* comment */ INSERT INTO {0} (\"id\", v) VALUES (11, 'it''s') ; INSERT INTO {0} (id) VALUES (12)",
        "INSERT INTO {0} (id, v) VALUES (13, 'x') UNION ALL SELECT 14, 'y'",
        "EXPLAIN (ANALYZE, COSTS OFF) INSERT INTO {0} (id) VALUES (15)",
        "INSERT INTO {0} (id, v) VALUES (16, now()::text) RETURNING id",
    ];

    [PostgresFact]
    public async Task Simple_query_inserts_of_every_shape_store_mains_time_on_every_node()
    {
        var table = await CreateReplicatedTableAsync("tdef", Columns);
        await PsqlAsync([.. Shapes.Select(s => string.Format(CultureInfo.InvariantCulture, s, table))]);
        var returned = await PsqlAsync(
            $"INSERT INTO {table} (id) VALUES (17) RETURNING to_char(created AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')");
        var rows = await AssertSameTimesAsync(table, 17);
        Assert.Contains(rows, r => r.StartsWith("17|" + returned.Trim(), StringComparison.Ordinal));
    }

    [PostgresFact]
    public async Task Extended_protocol_inserts_of_every_shape_store_mains_time_on_every_node()
    {
        var table = await CreateReplicatedTableAsync("tdefx", Columns);
        await using var conn = await OpenAsync();
        foreach (var shape in Shapes)
        {
            await using var cmd = new NpgsqlCommand(string.Format(CultureInfo.InvariantCulture, shape, table), conn);
            await cmd.ExecuteNonQueryAsync();
        }

        DateTime returned;
        await using (var returning = new NpgsqlCommand($"INSERT INTO {table} (id) VALUES (17) RETURNING created", conn))
        {
            returned = (DateTime)(await returning.ExecuteScalarAsync())!;
        }

        var rows = await AssertSameTimesAsync(table, 17);
        Assert.Contains(rows, r => r.StartsWith(
            "17|" + returned.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture),
            StringComparison.Ordinal));
    }

    [PostgresFact]
    public async Task Inserts_inside_a_transaction_store_mains_transaction_time()
    {
        var table = await CreateReplicatedTableAsync("tdeftx", Columns);
        await PsqlAsync("BEGIN", $"INSERT INTO {table} (id) VALUES (1)", "SELECT pg_sleep(0.01)",
            $"INSERT INTO {table} (id) VALUES (2), (3)", "COMMIT");
        await using var conn = await OpenAsync();
        await using (var tx = await conn.BeginTransactionAsync())
        {
            for (var i = 4; i <= 6; i++)
            {
                await using var cmd = new NpgsqlCommand($"INSERT INTO {table} (id) VALUES ({i})", conn, tx);
                await cmd.ExecuteNonQueryAsync();
                await using var sleep = new NpgsqlCommand("SELECT pg_sleep(0.01)", conn, tx);
                await sleep.ExecuteNonQueryAsync();
            }

            await using var extended = new NpgsqlCommand($"INSERT INTO {table} (id, v) VALUES ($1, $2)", conn, tx);
            extended.Parameters.AddWithValue(7);
            extended.Parameters.AddWithValue("extended");
            await extended.ExecuteNonQueryAsync();
            await tx.CommitAsync();
        }

        await AssertSameTimesAsync(table, 7);
        // Two transactions, one now() each.
        Assert.Equal(2, await NodeSql.ScalarAsync<long>(Nodes[1], $"SELECT count(DISTINCT created) FROM {table}"));
    }

    // It used to be refused: run whole on main, no SELECT now() could go inside its transaction. Run in steps
    // (issue 13), each write of the string gets main's time like one sent alone.
    [PostgresFact]
    public async Task A_query_string_with_its_own_transaction_stores_mains_time()
    {
        var table = await CreateReplicatedTableAsync("tdefblock", Columns);
        await PsqlAsync($"BEGIN; SELECT pg_sleep(0.01); INSERT INTO {table} (id) VALUES (1); COMMIT");
        await PsqlAsync($"INSERT INTO {table} (id) VALUES (2); UPDATE {table} SET created = now() WHERE id = 1; COMMIT");
        await PsqlAsync($"BEGIN; INSERT INTO {table} (id, created, d, l, later) VALUES (3, '2020-01-01', "
                        + "'2020-01-01', '2020-01-01', '2020-01-01'); COMMIT");

        await AssertSameTimesAsync(table, 3);
    }

    [PostgresFact]
    public async Task Extended_protocol_and_prepared_inserts_store_mains_time()
    {
        var table = await CreateReplicatedTableAsync("tdefext", Columns);
        await using var conn = await OpenAsync();
        await using (var unprepared = new NpgsqlCommand($"INSERT INTO {table} (id, v) VALUES ($1, $2)", conn))
        {
            unprepared.Parameters.AddWithValue(1);
            unprepared.Parameters.AddWithValue("a");
            await unprepared.ExecuteNonQueryAsync();
        }

        await using (var prepared = new NpgsqlCommand($"INSERT INTO {table} (id) VALUES ($1)", conn))
        {
            prepared.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Integer });
            await prepared.PrepareAsync();
            for (var i = 2; i <= 6; i++)
            {
                prepared.Parameters[0].Value = i;
                await prepared.ExecuteNonQueryAsync();
            }
        }

        await using (var defaults = new NpgsqlCommand($"INSERT INTO {table} (id, created) VALUES ($1, DEFAULT)", conn))
        {
            defaults.Parameters.AddWithValue(7);
            await defaults.ExecuteNonQueryAsync();
        }

        await using (var batch = new NpgsqlBatch(conn)
        {
            BatchCommands =
            {
                new NpgsqlBatchCommand($"INSERT INTO {table} (id) VALUES (8)"),
                new NpgsqlBatchCommand($"INSERT INTO {table} (id, v) SELECT 9, 'select'"),
                new NpgsqlBatchCommand($"INSERT INTO {table} (id) VALUES (10) RETURNING created"),
            },
        })
        {
            await batch.ExecuteNonQueryAsync();
        }

        await AssertSameTimesAsync(table, 10);
    }

    [PostgresFact]
    public async Task Quoted_names_schemas_and_domain_defaults_are_spelled_out()
    {
        var schema = NodeSql.UniqueTable("s");
        var table = $"{schema}.\"Mixed \"\"Q\"\" T\"";
        await ExecuteOnProxyAsync($"CREATE SCHEMA {schema}");
        await ExecuteOnProxyAsync($"CREATE DOMAIN {schema}.stamp AS timestamptz DEFAULT now()");
        await ExecuteOnProxyAsync($"CREATE TABLE {table} (id int PRIMARY KEY, \"Created \"\"At\"\"\" timestamptz "
                                  + $"DEFAULT CURRENT_TIMESTAMP(3), stamped {schema}.stamp, \"UPPER\" date DEFAULT 'now')");
        await PsqlAsync($"INSERT INTO {table} (id) VALUES (1)", $"INSERT INTO {table} VALUES (2)",
            $"INSERT INTO {schema.ToUpperInvariant()}.\"Mixed \"\"Q\"\" T\" (id) VALUES (3)");
        await using (var conn = await OpenAsync())
        {
            await using var cmd = new NpgsqlCommand($"INSERT INTO {table} (id, \"UPPER\") VALUES ($1, DEFAULT)", conn);
            cmd.Parameters.AddWithValue(4);
            await cmd.ExecuteNonQueryAsync();
        }

        Assert.Equal(4, await AssertNodesIdenticalAsync(table, "id"));
        Assert.Equal(0, await NodeSql.ScalarAsync<long>(Nodes[1],
            $"SELECT count(*) FROM {table} WHERE \"Created \"\"At\"\"\" IS NULL OR stamped IS NULL"));
    }

    [PostgresFact]
    public async Task Default_values_fills_every_column_from_main()
    {
        var table = await CreateReplicatedTableAsync("tdefdv",
            "id serial primary key, created timestamptz default now(), d date default current_date");
        await PsqlAsync($"INSERT INTO {table} DEFAULT VALUES", $"INSERT INTO {table} DEFAULT VALUES RETURNING id");
        await using var conn = await OpenAsync();
        await using (var cmd = new NpgsqlCommand($"INSERT INTO {table} DEFAULT VALUES", conn))
        {
            await cmd.ExecuteNonQueryAsync();
        }

        await using (var ext = new NpgsqlCommand($"INSERT INTO {table} DEFAULT VALUES RETURNING id", conn))
        {
            await ext.PrepareAsync();
            await ext.ExecuteScalarAsync();
        }

        Assert.Equal(4, await AssertNodesIdenticalAsync(table, "id"));
        Assert.Equal(0, await NodeSql.ScalarAsync<long>(Nodes[1], $"SELECT count(*) FROM {table} WHERE created IS NULL"));
    }

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

    /// <summary>Runs each statement as its own simple Query through psql, in one session; returns the output.</summary>
    private async Task<string> PsqlAsync(params string[] statements)
    {
        var result = await PgTools.PsqlAsync(Proxy.Port,
            ["-v", "ON_ERROR_STOP=1", "-qAt", .. statements.SelectMany(s => new[] { "-c", s })]);
        return result.EnsureSuccess().StdOut;
    }

    /// <summary>
    /// Asserts every node holds the same rows, comparing the time columns' values directly (as UTC text, so the
    /// client's time zone plays no part), and that none of them was left empty. Returns node 0's rows.
    /// </summary>
    private async Task<List<string>> AssertSameTimesAsync(string table, int expectedRows)
    {
        var perNode = new List<List<string>>();
        foreach (var node in Nodes)
        {
            await using var conn = new NpgsqlConnection(node.ConnectionString);
            await conn.OpenAsync();
            await using var cmd = new NpgsqlCommand(
                "SELECT id || '|' || to_char(created AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '|' || d || '|' "
                + $"|| l || '|' || to_char(later AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') FROM {table} ORDER BY id",
                conn);
            var rows = new List<string>();
            await using var reader = await cmd.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                Assert.False(reader.IsDBNull(0), "a time column is NULL");
                rows.Add(reader.GetString(0));
            }

            perNode.Add(rows);
        }

        Assert.Equal(expectedRows, perNode[0].Count);
        for (var i = 1; i < perNode.Count; i++)
        {
            Assert.Equal(perNode[0], perNode[i]);
        }

        return perNode[0];
    }
}

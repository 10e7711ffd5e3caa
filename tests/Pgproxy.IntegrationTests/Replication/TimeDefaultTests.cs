using System.Globalization;
using Npgsql;
using NpgsqlTypes;
using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Replication;

/// <summary>
/// Columns an INSERT or COPY leaves to a time-based default (DESIGN §4): each node would evaluate now() on its
/// own clock, so the others must get main's value. Every test reads the values on each node directly. These are INSERTs of every
/// shape; COPY, refusals, schema changes and concurrency are in <see cref="TimeDefaultCopyAndSchemaTests"/>.
/// </summary>
[Collection(ReplicationSuite.Name)]
public sealed class TimeDefaultTests(TwoNodes cluster) : TimeDefaultTestBase(cluster)
{
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
}

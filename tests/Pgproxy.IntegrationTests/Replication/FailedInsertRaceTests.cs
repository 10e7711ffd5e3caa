using System.Text;
using Npgsql;
using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Replication;

/// <summary>
/// Concurrent inserters into a table with a serial key and a unique column, half of whose INSERTs fail with a
/// unique violation after drawing the sequence: what an application that inserts-and-catches does all day.
/// PostgreSQL releases insert_lock's lock on main at the error, so the next inserter drew its number on main
/// before the others had run the failed INSERT (and drawn its number): rows got different ids on each node, with
/// every statement answered as PostgreSQL would and both nodes up. Every node is read directly afterwards.
/// </summary>
[Collection(ReplicationSuite.Name)]
public sealed class FailedInsertRaceTests(TwoNodes cluster) : ReplicationTestBase(cluster)
{
    private const int Clients = 6;
    private const int InsertsPerClient = 150;
    private const int Values = Clients * InsertsPerClient / 2;

    [PostgresTheory]
    [InlineData("autocommit")]
    [InlineData("transaction")]
    [InlineData("batch")]
    public async Task Inserts_failing_on_a_unique_key_leave_every_node_with_the_same_ids(string mode)
    {
        var table = await CreateReplicatedTableAsync("failed_insert", "id serial primary key, v int unique");
        var outcomes = await Task.WhenAll(Enumerable.Range(0, Clients).Select(async client =>
        {
            var random = new Random(client * 7919 + 17);
            var (ok, violated) = (0, 0);
            await using var conn = await OpenAsync();
            for (var i = 0; i < InsertsPerClient; i++)
            {
                await using var tx = mode == "transaction" ? await conn.BeginTransactionAsync() : null;
                try
                {
                    if (mode == "batch")
                    {
                        // One pipeline, one Sync: pgproxy runs its INSERT as a Flush-ended part.
                        await using var batch = new NpgsqlBatch(conn)
                        {
                            BatchCommands =
                            {
                                new("BEGIN"), new($"INSERT INTO {table} (v) VALUES ({random.Next(Values)})"),
                                new("COMMIT"),
                            },
                        };
                        await batch.ExecuteNonQueryAsync();
                    }
                    else
                    {
                        await using var insert = new NpgsqlCommand($"INSERT INTO {table} (v) VALUES ($1)", conn, tx);
                        insert.Parameters.AddWithValue(random.Next(Values));
                        await insert.ExecuteNonQueryAsync();
                        if (tx is not null)
                        {
                            await tx.CommitAsync();
                        }
                    }

                    ok++;
                }
                catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
                {
                    violated++;
                    if (mode == "batch")
                    {
                        await using var rollback = new NpgsqlCommand("ROLLBACK", conn); // the batch left it failed
                        await rollback.ExecuteNonQueryAsync();
                    }
                }
            }

            return (ok, violated);
        }));

        await AssertExercisedAndIdenticalAsync(table, outcomes.Sum(o => o.ok), outcomes.Sum(o => o.violated));
    }

    [PostgresTheory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Psql_inserts_failing_on_a_unique_key_leave_every_node_with_the_same_ids(bool oneString)
    {
        var table = await CreateReplicatedTableAsync("failed_insert_psql", "id serial primary key, v int unique");
        var runs = await Task.WhenAll(Enumerable.Range(0, Clients).Select(client =>
        {
            var random = new Random(client * 7919 + 17);
            var script = new StringBuilder();
            for (var i = 0; i < InsertsPerClient; i++)
            {
                var insert = $"INSERT INTO {table} (v) VALUES ({random.Next(Values)})";
                // psql sends each statement as a Query of its own, or with \; the whole transaction as one Query
                // string (after an error there, the ROLLBACK of its own ends the failed transaction); it carries on
                // after an error and reports it.
                script.Append(oneString ? $"BEGIN\\; {insert}\\; COMMIT;\nROLLBACK;\n" : $"{insert};\n");
            }

            return PgTools.PsqlWithInputAsync(Proxy.Port, script.ToString(), "-q");
        }));

        var violated = runs.Sum(r => r.StdErr.Split("duplicate key value").Length - 1);
        await AssertExercisedAndIdenticalAsync(table, Clients * InsertsPerClient - violated, violated);
    }

    [PostgresFact]
    public async Task Savepoints_of_the_client_around_inserts_behave_as_in_postgresql()
    {
        // insert_lock's own savepoint on main is released before main's next statement: the client's savepoints,
        // their rollbacks and a failed INSERT inside one answer as PostgreSQL does, and every node keeps the same.
        const string Script = """
            CREATE TABLE sp (id serial PRIMARY KEY, v int UNIQUE);
            BEGIN;
            INSERT INTO sp (v) VALUES (1);
            INSERT INTO sp (v) VALUES (2);
            SAVEPOINT a;
            INSERT INTO sp (v) VALUES (3);
            ROLLBACK TO SAVEPOINT a;
            INSERT INTO sp (v) VALUES (1);
            ROLLBACK TO SAVEPOINT a;
            INSERT INTO sp (v) VALUES (4);
            RELEASE SAVEPOINT a;
            SAVEPOINT b;
            INSERT INTO sp (v) VALUES (5);
            COMMIT;
            SELECT id, v FROM sp ORDER BY id;
            BEGIN;
            INSERT INTO sp (v) VALUES (2);
            INSERT INTO sp (v) VALUES (6);
            ROLLBACK;
            INSERT INTO sp (v) VALUES (7);
            SELECT id, v FROM sp ORDER BY id;
            SELECT last_value FROM sp_id_seq;
            """;
        await AssertPsqlAsDirectAsync(Script, async database =>
        {
            var rows = new List<string>();
            foreach (var node in Nodes)
            {
                await using var conn = new NpgsqlConnection(node.ConnectionStringFor(database));
                await conn.OpenAsync();
                await using var read = new NpgsqlCommand(
                    "SELECT string_agg(id || ':' || v, ',' ORDER BY id) || ' ' || (SELECT last_value FROM sp_id_seq) FROM sp",
                    conn);
                rows.Add((string)(await read.ExecuteScalarAsync())!);
            }

            Assert.Equal("1:1,2:2,5:4,6:5,8:7 8", rows[0]);
            Assert.Equal(rows[0], rows[1]);
        });
    }

    private async Task AssertExercisedAndIdenticalAsync(string table, int inserted, int violated)
    {
        Assert.True(inserted > 100 && violated > 100, $"{inserted} inserted, {violated} violated: no race exercised");
        Assert.Equal(inserted, await AssertNodesIdenticalAsync(table, "id"));
        var sequence = $"{table}_id_seq";
        Assert.Equal(await NodeSql.ScalarAsync<long>(Nodes[0], $"SELECT last_value FROM {sequence}"),
            await NodeSql.ScalarAsync<long>(Nodes[1], $"SELECT last_value FROM {sequence}"));
    }
}

using Npgsql;
using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Replication;

/// <summary>
/// Where insert_lock's lock is taken, and how long it is held, decides whether transactions that run directly
/// without deadlocks still do through pgproxy; directly no transaction waits on another's sequence.
/// <list type="bullet">
/// <item>An Npgsql batch {BEGIN; UPDATE; INSERT; COMMIT} got the lock before its UPDATE, and waited for a row that a
/// transaction sending UPDATE then INSERT one by one had updated, while that one waited for the lock (8 clients
/// over 10 rows: 65 transactions done, 17 failed with 40P01 in 5 s).</item>
/// <item>A transaction sending INSERT then UPDATE held the lock, to its end, while its UPDATE waited for such a
/// row (58 done, 23 failed).</item>
/// <item>An Npgsql batch {UPDATE; INSERT} outside a transaction (an EF Core SaveChanges) got the lock before its
/// UPDATE too, in pgproxy's own transaction, and deadlocked with the same batch sent inside a transaction (48 done,
/// 21 failed).</item>
/// <item>An Npgsql batch {INSERT; UPDATE} inside a transaction (EF Core's SaveChanges of an added and a changed entity)
/// held the lock, to its end, while its UPDATE waited for such a row (40 done, 20 failed).</item>
/// <item>The same batch {INSERT; UPDATE} outside a transaction held it to the end of pgproxy's own transaction,
/// while its UPDATE waited for a row that a transaction sending UPDATE then INSERT one by one held (25 done, 13
/// failed).</item>
/// </list>
/// </summary>
[Collection(ReplicationSuite.Name)]
public sealed class InsertLockDeadlockTests(TwoNodes cluster) : ReplicationTestBase(cluster)
{
    private const int Clients = 6;
    private const int TransactionsPerClient = 60;
    private const int HotRows = 5;

    [PostgresTheory]
    [InlineData("batch")]
    [InlineData("insert first")]
    [InlineData("autocommit batch")]
    [InlineData("insert-first batch")]
    [InlineData("autocommit insert-first batch")]
    public async Task Transactions_updating_and_inserting_in_either_order_never_deadlock(string other)
    {
        var counters = await CreateReplicatedTableAsync("lock_order_k", "id int primary key, n bigint");
        var log = await CreateReplicatedTableAsync("lock_order_log", "id serial primary key, k int, at int");
        await ExecuteOnProxyAsync($"INSERT INTO {counters} SELECT g, 0 FROM generate_series(1, {HotRows}) g");

        var outcomes = await Task.WhenAll(Enumerable.Range(0, Clients).Select(async client =>
        {
            var random = new Random(client * 7919 + 5);
            var errors = new List<string>();
            await using var conn = await OpenAsync();
            for (var i = 0; i < TransactionsPerClient; i++)
            {
                var row = random.Next(1, HotRows + 1);
                var update = $"UPDATE {counters} SET n = n + 1 WHERE id = {row}";
                var insert = $"INSERT INTO {log} (k, at) VALUES ({row}, {client * 1000 + i})";
                try
                {
                    if (client % 2 == 0 && other == "batch")
                    {
                        await using var batch = new NpgsqlBatch(conn)
                        {
                            BatchCommands = { new("BEGIN"), new(update), new(insert), new("COMMIT") },
                        };
                        await batch.ExecuteNonQueryAsync();
                    }
                    else if (client % 2 == 0 && other == "insert-first batch")
                    {
                        await using var tx = await conn.BeginTransactionAsync();
                        await using var batch = new NpgsqlBatch(conn, tx)
                        {
                            BatchCommands = { new(insert), new(update) },
                        };
                        await batch.ExecuteNonQueryAsync();
                        await tx.CommitAsync();
                    }
                    else if (client % 2 == 0 && other == "autocommit insert-first batch")
                    {
                        await using var batch = new NpgsqlBatch(conn) { BatchCommands = { new(insert), new(update) } };
                        await batch.ExecuteNonQueryAsync();
                    }
                    else if (other == "autocommit batch")
                    {
                        // Half outside a transaction, half the same batch inside one.
                        await using var tx = client % 2 == 0 ? null : await conn.BeginTransactionAsync();
                        await using var batch = new NpgsqlBatch(conn, tx)
                        {
                            BatchCommands = { new(update), new(insert) },
                        };
                        await batch.ExecuteNonQueryAsync();
                        if (tx is not null)
                        {
                            await tx.CommitAsync();
                        }
                    }
                    else
                    {
                        // One statement at a time: UPDATE then INSERT, or, for the other half, INSERT then UPDATE.
                        var insertFirst = client % 2 == 0 && other == "insert first";
                        await using var tx = await conn.BeginTransactionAsync();
                        await using (var first = new NpgsqlCommand(insertFirst ? insert : update, conn, tx))
                        {
                            await first.ExecuteNonQueryAsync();
                        }

                        await using (var second = new NpgsqlCommand(insertFirst ? update : insert, conn, tx))
                        {
                            await second.ExecuteNonQueryAsync();
                        }

                        await tx.CommitAsync();
                    }
                }
                catch (PostgresException e)
                {
                    errors.Add(e.SqlState);
                    if (client % 2 == 0 && other == "batch")
                    {
                        await using var rollback = new NpgsqlCommand("ROLLBACK", conn); // the batch left it failed
                        await rollback.ExecuteNonQueryAsync();
                    }
                }
            }

            return errors;
        }));

        var errors = outcomes.SelectMany(e => e).ToList();
        Assert.True(errors.Count == 0, $"{errors.Count} transactions failed: {string.Join(", ", errors.Distinct())}");
        Assert.Equal(Clients * TransactionsPerClient, await AssertNodesIdenticalAsync(log, "id"));
        await AssertNodesIdenticalAsync(counters, "id");
        Assert.Equal(Clients * TransactionsPerClient,
            await NodeSql.ScalarAsync<long>(Nodes[1], $"SELECT sum(n)::bigint FROM {counters}"));
    }

    /// <summary>
    /// The same through query strings (the simple protocol, as psql and pgbench send several statements in one
    /// line): {INSERT; UPDATE} in autocommit and {BEGIN; INSERT; UPDATE; COMMIT}, each run whole, held the lock over
    /// the UPDATE while transactions sending UPDATE then INSERT one by one waited for it (8 clients over 10 rows in
    /// 5 s: 46 done and 14 deadlocked, and 27 done and 10 deadlocked; directly 32,559 and none).
    /// </summary>
    [PostgresFact]
    public async Task Query_strings_inserting_then_updating_never_deadlock()
    {
        var counters = await CreateReplicatedTableAsync("lock_string_k", "id int primary key, n bigint");
        var log = await CreateReplicatedTableAsync("lock_string_log", "id serial primary key, k int, at int");
        await ExecuteOnProxyAsync($"INSERT INTO {counters} SELECT g, 0 FROM generate_series(1, {HotRows}) g");
        var directory = Directory.CreateTempSubdirectory("insert-lock-strings-").FullName;
        try
        {
            var row = $"\\set r random(1, {HotRows})\n";
            string[] scripts =
            [
                row + $"INSERT INTO {log} (k, at) VALUES (:r, 1)\\; UPDATE {counters} SET n = n + 1 WHERE id = :r;\n",
                row + $"BEGIN\\; INSERT INTO {log} (k, at) VALUES (:r, 2)\\; " +
                $"UPDATE {counters} SET n = n + 1 WHERE id = :r\\; COMMIT;\n",
                row + $"BEGIN;\nUPDATE {counters} SET n = n + 1 WHERE id = :r;\n" +
                $"INSERT INTO {log} (k, at) VALUES (:r, 3);\nCOMMIT;\n",
            ];
            var arguments = new List<string> { "-n", "-c", Invariant(Clients), "-j", "2", "-t", Invariant(TransactionsPerClient) };
            for (var i = 0; i < scripts.Length; i++)
            {
                var file = Path.Combine(directory, $"s{i}.sql");
                await File.WriteAllTextAsync(file, scripts[i]);
                arguments.AddRange(["-f", file]);
            }

            var run = await PgTools.PgbenchAsync(Proxy.Port, [.. arguments]);
            run.EnsureSuccess(); // a deadlock aborts its client, and pgbench then exits with 2
            Assert.Contains("number of failed transactions: 0 ", run.StdOut);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }

        Assert.Equal(Clients * TransactionsPerClient, await AssertNodesIdenticalAsync(log, "id"));
        await AssertNodesIdenticalAsync(counters, "id");
        Assert.Equal(Clients * TransactionsPerClient,
            await NodeSql.ScalarAsync<long>(Nodes[1], $"SELECT sum(n)::bigint FROM {counters}"));
    }

    private static string Invariant(int value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}

using Npgsql;
using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Replication;

/// <summary>
/// An autocommit batch {INSERT; UPDATE} lets insert_lock's lock go once every node ran its INSERT, before its UPDATE
/// (InsertLockDeadlockTests). A cancel that fails the UPDATE after that must not level the other nodes' sequences to
/// main's: the others drew what main drew, and by then the next inserter may have drawn on main and not yet on them.
/// Levelled anyway, a 10 s mix under cancels failed 10 writes with XX001 and left the ids of the log apart. Clients
/// cancel every command 0–4 ms after sending it; every node is read directly.
/// </summary>
[Collection(ReplicationSuite.Name)]
public sealed class CanceledInsertBatchTests(TwoNodes cluster) : ReplicationTestBase(cluster)
{
    private const int Clients = 8;
    private static readonly TimeSpan RunFor = TimeSpan.FromSeconds(8);

    [PostgresFact]
    public async Task Canceled_autocommit_batches_inserting_then_updating_leave_rows_and_sequences_level()
    {
        var counters = await CreateReplicatedTableAsync("cancel_batch_k", "id int primary key, n bigint");
        var log = await CreateReplicatedTableAsync("cancel_batch_log", "id serial primary key, k int, at int");
        await ExecuteOnProxyAsync($"INSERT INTO {counters} SELECT g, 0 FROM generate_series(1, 10) g");
        var until = DateTime.UtcNow + RunFor;

        var outcomes = await Task.WhenAll(Enumerable.Range(0, Clients).Select(async client =>
        {
            var random = new Random(client * 7919 + 11);
            var (done, unexpected) = (0, new List<string>());
            // Npgsql gives a cancelled command 2 s by default, then drops the connection; through pgproxy a
            // cancelled command's answer takes 0.2-2.5 s here under this load (directly 20-200 ms), which this test
            // does not measure: it waits as long as the answer takes.
            await using var conn = await OpenAsync(b => b.CancellationTimeout = 0);
            for (var i = 0; DateTime.UtcNow < until; i++)
            {
                var row = random.Next(1, 11);
                var update = $"UPDATE {counters} SET n = n + 1 WHERE id = {row}";
                var insert = $"INSERT INTO {log} (k, at) VALUES ({row}, {client * 100_000 + i})";
                using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(random.Next(0, 5)));
                try
                {
                    if (client % 2 == 0)
                    {
                        await using var batch = new NpgsqlBatch(conn) { BatchCommands = { new(insert), new(update) } };
                        await batch.ExecuteNonQueryAsync(cancel.Token);
                    }
                    else
                    {
                        await using var tx = await conn.BeginTransactionAsync(CancellationToken.None);
                        await using var batch = new NpgsqlBatch(conn, tx) { BatchCommands = { new(update), new(insert) } };
                        await batch.ExecuteNonQueryAsync(cancel.Token);
                        await tx.CommitAsync(CancellationToken.None);
                    }

                    done++;
                }
                catch (OperationCanceledException e)
                {
                    // The cancel met the batch (57014) or came before it was sent: either way nothing of it stays.
                    if (conn.State != System.Data.ConnectionState.Open)
                    {
                        unexpected.Add("connection lost: " + e.InnerException?.Message);
                        break;
                    }
                }
                catch (PostgresException e)
                {
                    unexpected.Add(e.SqlState);
                }
            }

            return (done, unexpected);
        }));

        var unexpected = outcomes.SelectMany(o => o.unexpected).ToList();
        Assert.True(unexpected.Count == 0, $"{unexpected.Count} batches failed: {string.Join(", ", unexpected.Distinct())}");
        Assert.True(outcomes.Sum(o => o.done) > 0);
        await AssertNodesIdenticalAsync(log, "id"); // ids, and so the order every node drew them in
        await AssertNodesIdenticalAsync(counters, "id");
        var sequence = $"SELECT last_value FROM {log}_id_seq";
        Assert.Equal(await NodeSql.ScalarAsync<long>(Nodes[0], sequence), await NodeSql.ScalarAsync<long>(Nodes[1], sequence));
        await AssertNothingPreparedAsync();
    }
}

using Npgsql;
using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Replication;

/// <summary>
/// Sixteen clients at once doing what makes statement replication diverge when done naively: conflicting
/// updates of the same rows, inserts drawing from a sequence, timestamps. Afterwards every node must hold the
/// same rows, compared on the nodes directly.
/// </summary>
[Collection(ReplicationSuite.Name)]
public sealed class ConcurrencyTests(TwoNodes cluster) : ReplicationTestBase(cluster)
{
    [PostgresFact]
    public async Task Sixteen_clients_with_conflicting_writes_leave_identical_nodes()
    {
        var counters = await CreateReplicatedTableAsync("counters", "id int primary key, n bigint not null, touched timestamptz");
        var events = await CreateReplicatedTableAsync("events", "id serial primary key, client int, at timestamptz");
        await ExecuteOnProxyAsync($"INSERT INTO {counters} SELECT g, 0, NULL FROM generate_series(1, 4) g");

        var clients = Enumerable.Range(0, 16).Select(async client =>
        {
            await using var conn = await OpenAsync();
            for (var i = 0; i < 25; i++)
            {
                var row = (client + i) % 4 + 1;
                if (i % 3 == 0)
                {
                    await using var tx = await conn.BeginTransactionAsync();
                    await using var update = new NpgsqlCommand(
                        $"UPDATE {counters} SET n = (n * 2 + {client}) % 1000003, touched = now() WHERE id = $1", conn, tx);
                    update.Parameters.AddWithValue(row);
                    await update.ExecuteNonQueryAsync();
                    await using var insert = new NpgsqlCommand(
                        $"INSERT INTO {events} (client, at) VALUES ({client}, CURRENT_TIMESTAMP)", conn, tx);
                    await insert.ExecuteNonQueryAsync();
                    await tx.CommitAsync();
                }
                else
                {
                    await using var update = new NpgsqlCommand(
                        $"UPDATE {counters} SET n = (n * 3 + {client}) % 1000003 WHERE id = {row}", conn);
                    await update.ExecuteNonQueryAsync();
                    await using var insert = new NpgsqlCommand(
                        $"INSERT INTO {events} (client, at) VALUES ($1, now())", conn);
                    insert.Parameters.AddWithValue(client);
                    await insert.ExecuteNonQueryAsync();
                }
            }
        }).ToArray();
        await Task.WhenAll(clients);

        Assert.Equal(4, await AssertNodesIdenticalAsync(counters, "id"));
        Assert.Equal(16 * 25, await AssertNodesIdenticalAsync(events, "id"));
    }
}

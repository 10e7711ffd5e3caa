using Npgsql;
using NpgsqlTypes;
using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Replication;

/// <summary>
/// xmin as an optimistic-concurrency token, as EF Core uses it on PostgreSQL: read with the row, then
/// <c>UPDATE … WHERE "Id" = $1 AND xmin = $2 RETURNING xmin</c>. Each node numbers its transactions itself, so the
/// token read from one node matched nothing on the other, and every such UPDATE failed with XX001 (the nodes changed
/// different numbers of rows). Reads of xmin now come from main; the others apply main's outcome of the check.
/// </summary>
[Collection(ReplicationSuite.Name)]
public sealed class RowVersionTokenTests(TwoNodes cluster) : ReplicationTestBase(cluster)
{
    [PostgresFact]
    public async Task A_fresh_token_changes_the_row_on_every_node_and_a_stale_one_changes_none()
    {
        var table = await CreateReplicatedTableAsync("xmin_token", "id int primary key, n int");
        await ExecuteOnProxyAsync($"INSERT INTO {table} SELECT g, 0 FROM generate_series(1, 3) g");
        await PullTransactionIdsApartAsync();
        await using var conn = await OpenAsync();

        for (var i = 0; i < 10; i++)
        {
            var token = await TokenAsync(conn, table, 1);
            Assert.Equal(1, await UpdateAsync(conn, table, 1, token));
            Assert.Equal(0, await UpdateAsync(conn, table, 1, token)); // stale now: a concurrency conflict
        }

        await using (var delete = new NpgsqlCommand($"DELETE FROM {table} WHERE id = $1 AND xmin = $2", conn))
        {
            delete.Parameters.Add(new NpgsqlParameter { Value = 2 });
            var token = await TokenAsync(conn, table, 2);
            delete.Parameters.Add(new NpgsqlParameter { Value = token, NpgsqlDbType = NpgsqlDbType.Xid });
            Assert.Equal(1, await delete.ExecuteNonQueryAsync());
        }

        Assert.Equal(2, await AssertNodesIdenticalAsync(table, "id"));
        Assert.Equal(10, await NodeSql.ScalarAsync<int>(Nodes[1], $"SELECT n FROM {table} WHERE id = 1"));
    }

    [PostgresFact]
    public async Task Concurrent_writers_checking_tokens_leave_the_nodes_identical()
    {
        var table = await CreateReplicatedTableAsync("xmin_race", "id int primary key, n int");
        await ExecuteOnProxyAsync($"INSERT INTO {table} SELECT g, 0 FROM generate_series(1, 3) g");
        await PullTransactionIdsApartAsync();

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 6).Select(async client =>
        {
            var random = new Random(client);
            var changed = 0;
            await using var conn = await OpenAsync();
            for (var i = 0; i < 40; i++)
            {
                var id = random.Next(1, 4);
                changed += await UpdateAsync(conn, table, id, await TokenAsync(conn, table, id));
            }

            return changed;
        }));

        Assert.Equal(3, await AssertNodesIdenticalAsync(table, "id"));
        Assert.Equal(outcomes.Sum(), await NodeSql.ScalarAsync<long>(Nodes[1], $"SELECT sum(n)::bigint FROM {table}"));
        Assert.InRange(outcomes.Sum(), 1, 240);
    }

    [PostgresFact]
    public async Task A_batch_in_a_transaction_applies_each_checks_outcome()
    {
        var table = await CreateReplicatedTableAsync("xmin_batch", "id int primary key, n int");
        await ExecuteOnProxyAsync($"INSERT INTO {table} SELECT g, 0 FROM generate_series(1, 3) g");
        await PullTransactionIdsApartAsync();
        await ExecuteOnProxyAsync($"UPDATE {table} SET n = 0"); // every row written after the ids went apart
        await using var conn = await OpenAsync();
        var fresh = await TokenAsync(conn, table, 1);
        var stale = await TokenAsync(conn, table, 2);
        await ExecuteOnProxyAsync($"UPDATE {table} SET n = 5 WHERE id = 2");

        await using var tx = await conn.BeginTransactionAsync();
        await using var batch = new NpgsqlBatch(conn, tx);
        foreach (var (id, token) in new[] { (2, stale), (1, fresh), (3, await TokenAsync(conn, table, 3)) })
        {
            var command = new NpgsqlBatchCommand(
                $"UPDATE {table} SET n = n + 1 WHERE id = $1 AND xmin = $2 RETURNING xmin");
            command.Parameters.Add(new NpgsqlParameter { Value = id });
            command.Parameters.Add(new NpgsqlParameter { Value = token, NpgsqlDbType = NpgsqlDbType.Xid });
            batch.BatchCommands.Add(command);
        }

        await using (var reader = await batch.ExecuteReaderAsync())
        {
            while (await reader.NextResultAsync() || await reader.ReadAsync())
            {
            }
        }

        Assert.Equal([0, 1, 1],
            batch.BatchCommands.Cast<NpgsqlBatchCommand>().Select(c => c.RecordsAffected).ToArray());
        await tx.CommitAsync();
        Assert.Equal(3, await AssertNodesIdenticalAsync(table, "id"));
        Assert.Equal("1,5,1", await NodeSql.ScalarAsync<string>(Nodes[1],
            $"SELECT string_agg(n::text, ',' ORDER BY id) FROM {table}"));
    }

    /// <summary>
    /// Nodes that ran the same transactions in one order number them alike (a fresh fixture's do): three transaction
    /// ids drawn on node 1 alone make every later xmin differ there, as on nodes that have lived.
    /// </summary>
    private async Task PullTransactionIdsApartAsync()
    {
        for (var i = 0; i < 3; i++)
        {
            await NodeSql.ExecuteAsync(Nodes[1], "SELECT pg_catalog.pg_current_xact_id()");
        }
    }

    private static async Task<uint> TokenAsync(NpgsqlConnection conn, string table, int id)
    {
        await using var select = new NpgsqlCommand($"SELECT t.id, t.n, t.xmin FROM {table} AS t WHERE t.id = $1", conn);
        select.Parameters.Add(new NpgsqlParameter { Value = id });
        await using var reader = await select.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        return reader.GetFieldValue<uint>(2);
    }

    private static async Task<int> UpdateAsync(NpgsqlConnection conn, string table, int id, uint token)
    {
        await using var update = new NpgsqlCommand(
            $"UPDATE {table} SET n = n + 1 WHERE id = $1 AND xmin = $2 RETURNING xmin", conn);
        update.Parameters.Add(new NpgsqlParameter { Value = id });
        update.Parameters.Add(new NpgsqlParameter { Value = token, NpgsqlDbType = NpgsqlDbType.Xid });
        var rows = 0;
        await using var reader = await update.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            rows++;
        }

        return rows;
    }
}

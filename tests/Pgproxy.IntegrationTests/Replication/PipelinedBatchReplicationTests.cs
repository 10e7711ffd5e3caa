using Npgsql;
using NpgsqlTypes;
using Pgproxy.IntegrationTests.Npgsql;
using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Replication;

[Collection(ReplicationSuite.Name)]
public sealed class PipelinedBatchReplicationTests(TwoNodes cluster) : PipelinedBatchTestsBase(cluster)
{
    /// <summary>
    /// The same shape as a write, so the group runs on both nodes: an INSERT … RETURNING with a large answer, then
    /// a 5 MB parameter. Each node answers the INSERT before it has read the Bind behind it; the other node's
    /// answer (read, never forwarded) must be read while the group still flushes to it, as main's is.
    /// </summary>
    [PostgresFact]
    public async Task WriteBatch_WithLargeReturning_ThenLargeParameter_ReachesBothNodes()
    {
        const int rows = 600_000;
        var table = NodeSql.UniqueTable("itest_batchw");
        var conn = await OpenAsync(b => b.CommandTimeout = 60);
        try
        {
            await RunWriteBatchAsync(conn, table, rows);
        }
        finally
        {
            // A deadlocked connection may never close: the test fails on the batch's bound instead.
            await IgnoringFailureAsync(conn.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10)));
        }

        foreach (var node in cluster.Nodes)
        {
            Assert.Equal(rows + 1L, await NodeSql.ScalarAsync<long>(node, $"SELECT count(*) FROM {table}"));
        }
    }

    private static async Task RunWriteBatchAsync(NpgsqlConnection conn, string table, int rows)
    {
        await using (var create = new NpgsqlCommand($"CREATE TABLE {table} (id int, v text)", conn))
        {
            await create.ExecuteNonQueryAsync();
        }

        await using var batch = new NpgsqlBatch(conn);
        batch.BatchCommands.Add(new NpgsqlBatchCommand(
            $"INSERT INTO {table} SELECT i, 'x' FROM generate_series(1, {rows}) i RETURNING id"));
        var echo = new NpgsqlBatchCommand($"INSERT INTO {table} VALUES (0, $1) RETURNING length(v)");
        echo.Parameters.Add(new NpgsqlParameter { Value = new string('p', 5_000_000), NpgsqlDbType = NpgsqlDbType.Text });
        batch.BatchCommands.Add(echo);

        var run = Task.Run(async () =>
        {
            await using var reader = await batch.ExecuteReaderAsync();
            var returned = 0;
            while (await reader.ReadAsync())
            {
                returned++;
            }

            Assert.True(await reader.NextResultAsync());
            Assert.True(await reader.ReadAsync());
            return (returned, reader.GetInt32(0));
        });
        var (returnedRows, length) = await run.WaitAsync(TimeSpan.FromSeconds(75));

        Assert.Equal(rows, returnedRows);
        Assert.Equal(5_000_000, length);
    }
}

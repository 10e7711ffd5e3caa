using Npgsql;
using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Replication;

/// <summary>
/// A write main refuses may still have changed what a rollback does not undo (issue 16 item 1): a failed INSERT
/// drew a sequence value on main only, and the nodes numbered every later row differently.
/// </summary>
[Collection(ReplicationSuite.Name)]
public sealed class RefusedWriteTests(TwoNodes cluster) : ReplicationTestBase(cluster)
{
    [PostgresFact]
    public async Task A_failed_insert_draws_the_sequence_on_every_node()
    {
        var table = await CreateReplicatedTableAsync("refused", "id serial PRIMARY KEY, v int CHECK (v > 0)");
        await ExecuteOnProxyAsync($"INSERT INTO {table}(v) VALUES (1)");
        var error = await Assert.ThrowsAsync<PostgresException>(() => ExecuteOnProxyAsync($"INSERT INTO {table}(v) VALUES (-1)"));
        Assert.Equal("23514", error.SqlState);
        await ExecuteOnProxyAsync($"INSERT INTO {table}(v) VALUES (2)");

        // Inside the client's transaction too, then rolled back to a savepoint.
        await using (var conn = await OpenAsync())
        {
            await using var tx = await conn.BeginTransactionAsync();
            await tx.SaveAsync("s");
            await using var bad = new NpgsqlCommand($"INSERT INTO {table}(v) VALUES (-2)", conn, tx);
            await Assert.ThrowsAsync<PostgresException>(() => bad.ExecuteNonQueryAsync());
            await tx.RollbackAsync("s");
            await using var good = new NpgsqlCommand($"INSERT INTO {table}(v) VALUES (3)", conn, tx);
            await good.ExecuteNonQueryAsync();
            await tx.CommitAsync();
        }

        foreach (var node in Nodes)
        {
            Assert.Equal("1:1,3:2,5:3", await NodeSql.ScalarAsync<string>(node,
                $"SELECT string_agg(id || ':' || v, ',' ORDER BY id) FROM {table}"));
        }

        Assert.Equal(3, await AssertNodesIdenticalAsync(table, "id"));
    }
}

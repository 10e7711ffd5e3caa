using Npgsql;
using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Replication;

/// <summary>
/// Replication-slot functions through two nodes (issue 17: Npgsql's replication tests). A slot lives on main alone
/// (replication connections are relayed to main), so its functions run on main alone: sent to every node, the drop
/// or peek failed on node 1 with 42704 and pgproxy called the nodes different (XX001).
/// </summary>
[Collection(ReplicationSuite.Name)]
public sealed class ReplicationSlotFunctionTests(TwoNodes cluster) : ReplicationTestBase(cluster)
{
    [PostgresFact]
    public async Task SlotCreatedPeekedAndDroppedThroughSql_LivesOnMainOnly_AndBothNodesStayUp()
    {
        var slot = "itest_slot_" + Guid.NewGuid().ToString("N")[..10];
        var table = await CreateReplicatedTableAsync("itest_slot", "id int PRIMARY KEY");
        await using var conn = await OpenAsync();
        await using (var create = new NpgsqlCommand(
                         $"SELECT slot_name FROM pg_create_logical_replication_slot('{slot}', 'test_decoding')", conn))
        {
            Assert.Equal(slot, await create.ExecuteScalarAsync());
        }

        Assert.Equal(1L, await NodeSql.ScalarAsync<long>(Nodes[0],
            $"SELECT count(*) FROM pg_replication_slots WHERE slot_name = '{slot}'"));
        Assert.Equal(0L, await NodeSql.ScalarAsync<long>(Nodes[1],
            $"SELECT count(*) FROM pg_replication_slots WHERE slot_name = '{slot}'"));

        await using (var insert = new NpgsqlCommand($"INSERT INTO {table} VALUES (1)", conn))
        {
            Assert.Equal(1, await insert.ExecuteNonQueryAsync());
        }

        // Runs on main, where the slot is (on node 1 it failed with 42704, which pgproxy called a divergence). What
        // it decodes is not asserted: the fixture's synchronous_commit = off leaves the INSERT's WAL unflushed for a
        // while, and a peek decodes only up to the flushed position.
        await using (var peek = new NpgsqlCommand(
                         $"SELECT count(*) FROM pg_logical_slot_peek_changes('{slot}', NULL, NULL)", conn))
        {
            Assert.True((long)(await peek.ExecuteScalarAsync())! >= 0);
        }

        await using (var drop = new NpgsqlCommand($"SELECT pg_drop_replication_slot('{slot}')", conn))
        {
            await drop.ExecuteNonQueryAsync();
        }

        Assert.Equal(0L, await NodeSql.ScalarAsync<long>(Nodes[0],
            $"SELECT count(*) FROM pg_replication_slots WHERE slot_name = '{slot}'"));
        var statuses = await PoolNodes.StatusesAsync(Proxy.ConnectionString());
        Assert.Equal("up", statuses[0]);
        Assert.Equal("up", statuses[1]);
        await AssertNodesIdenticalAsync(table, "id");
    }
}

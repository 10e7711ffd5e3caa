using Npgsql;
using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Replication;

/// <summary>
/// A read of pg_replication_slots is answered by main, where slots live (issue 17: Npgsql's
/// CreateLogicalReplicationSlot created a slot and read it back on node 1, finding none). Node 0 has weight 0, so
/// any other read would go to node 1.
/// </summary>
[Collection(ReplicationSuite.Name)]
public sealed class SlotViewReadTests(TwoNodes cluster) : NodeOneReadsTestBase(cluster)
{
    [PostgresFact]
    public async Task A_slot_created_through_pgproxy_is_seen_in_pg_replication_slots()
    {
        var slot = "itest_slotview_" + Guid.NewGuid().ToString("N")[..10];
        await using var conn = await OpenAsync();
        await using (var create = new NpgsqlCommand(
                         $"SELECT slot_name FROM pg_create_logical_replication_slot('{slot}', 'test_decoding')", conn))
        {
            Assert.Equal(slot, await create.ExecuteScalarAsync());
        }

        try
        {
            Assert.Equal(0L, await NodeSql.ScalarAsync<long>(Nodes[1],
                $"SELECT count(*) FROM pg_replication_slots WHERE slot_name = '{slot}'"));
            await using var read = new NpgsqlCommand(
                $"SELECT count(*) FROM pg_replication_slots WHERE slot_name = '{slot}'", conn);
            Assert.Equal(1L, await read.ExecuteScalarAsync());
        }
        finally
        {
            await NodeSql.ExecuteAsync(Nodes[0], $"SELECT pg_drop_replication_slot('{slot}')");
        }
    }
}

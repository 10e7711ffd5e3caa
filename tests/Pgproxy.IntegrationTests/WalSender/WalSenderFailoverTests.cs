using Npgsql;
using Npgsql.Replication;
using Npgsql.Replication.PgOutput;
using Npgsql.Replication.PgOutput.Messages;
using Pgproxy.Core.Config;
using Pgproxy.IntegrationTests.Replication;
using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Postgres;
using static Pgproxy.IntegrationTests.WalSender.WalSenderStream;

namespace Pgproxy.IntegrationTests.WalSender;

/// <summary>
/// Issue 17 item 1 on two nodes: a replication connection goes to main alone, and when main is taken out it ends
/// with a FATAL that says so; its slot stays behind on the old main, and the next connection reaches the new one.
/// </summary>
[Collection(ReplicationSuite.Name)]
public sealed class WalSenderFailoverTests(TwoNodes cluster) : ReplicationTestBase(cluster)
{
    protected override ProxyOptions Configure(ProxyOptions options) =>
        options with { AdminUsers = PostgresInstance.User };

    [PostgresFact]
    public async Task LogicalPgOutput_RowsWrittenThroughPgproxy_StreamFromMainOnly()
    {
        var table = NodeSql.UniqueTable("walsender_pgoutput");
        var publication = table + "_pub";
        await using var conn = await OpenAsync();
        await ExecuteAsync(conn, $"CREATE TABLE {table} (id int PRIMARY KEY, v text)");
        await ExecuteAsync(conn, $"CREATE PUBLICATION {publication} FOR TABLE {table}");
        try
        {
            await using var replication = new LogicalReplicationConnection(Proxy.ConnectionString());
            await replication.Open();
            var slot = await replication.CreatePgOutputReplicationSlot(SlotName(), temporarySlot: true);
            Assert.Equal(new long[] { 1, 0 }, await SlotCountsAsync(slot.Name));

            await ExecuteAsync(conn, $"INSERT INTO {table} VALUES (1, 'a'), (2, 'b')");

            Assert.Equal(["1", "2"], await ReadInsertedIdsAsync(replication, slot, publication, 2));
            Assert.Equal(2, await AssertNodesIdenticalAsync(table, "id"));
        }
        finally
        {
            await ExecuteAsync(conn, $"DROP PUBLICATION {publication}");
        }
    }

    [PostgresFact]
    public async Task MainTakenOut_StreamEndsWithFatal_SlotStaysOnOldMain_NextConnectionReachesNewMain()
    {
        await using var replication = new LogicalReplicationConnection(Proxy.ConnectionString());
        await replication.Open();
        var slot = await replication.CreateTestDecodingReplicationSlot(SlotName(), temporarySlot: false);
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            var streaming = Task.Run(async () =>
            {
                await foreach (var _ in replication.StartReplication(slot, timeout.Token))
                {
                }
            });
            await Poll.UntilAsync(async () => await ActiveSlotAsync(slot.Name), TimeSpan.FromSeconds(10),
                "the slot to be streamed from node 0");

            await using (var admin = await OpenAsync())
            {
                await ExecuteAsync(admin, "PGPROXY DETACH NODE 0");
            }

            var error = await Assert.ThrowsAsync<PostgresException>(() => streaming);
            Assert.Equal("08006", error.SqlState);
            Assert.Contains("backend node 0", error.MessageText, StringComparison.Ordinal);
            Assert.Contains("slot", error.Hint, StringComparison.Ordinal);
            Assert.Equal(new long[] { 1, 0 }, await SlotCountsAsync(slot.Name));

            await using var next = new PhysicalReplicationConnection(Proxy.ConnectionString());
            await next.Open();
            Assert.Equal(await SystemIdAsync(Nodes[1]), (await next.IdentifySystem()).SystemId);
        }
        finally
        {
            await Poll.UntilAsync(async () => !await ActiveSlotAsync(slot.Name), TimeSpan.FromSeconds(10),
                "the walsender on node 0 to end");
            await NodeSql.ExecuteAsync(Nodes[0], $"SELECT pg_drop_replication_slot('{slot.Name}')");
        }
    }

    private async Task<long[]> SlotCountsAsync(string slot) =>
        [.. await Task.WhenAll(Nodes.Select(node => NodeSql.ScalarAsync<long>(node,
            $"SELECT count(*) FROM pg_replication_slots WHERE slot_name = '{slot}'")))];

    private Task<bool> ActiveSlotAsync(string slot) =>
        NodeSql.ScalarAsync<bool>(Nodes[0],
            $"SELECT coalesce(bool_or(active), false) FROM pg_replication_slots WHERE slot_name = '{slot}'");

    private static async Task<List<string>> ReadInsertedIdsAsync(LogicalReplicationConnection replication,
        PgOutputReplicationSlot slot, string publication, int count)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var ids = new List<string>();
        var options = new PgOutputReplicationOptions(publication, PgOutputProtocolVersion.V1);
        await foreach (var message in replication.StartReplication(slot, options, timeout.Token))
        {
            if (message is InsertMessage insert)
            {
                var first = true;
                await foreach (var value in insert.NewRow)
                {
                    var text = await value.Get<string>();
                    if (first)
                    {
                        ids.Add(text);
                        first = false;
                    }
                }
            }

            replication.SetReplicationStatus(message.WalEnd);
            if (ids.Count == count)
            {
                break;
            }
        }

        return ids;
    }

    private static async Task ExecuteAsync(NpgsqlConnection conn, string sql)
    {
        await using var cmd = new NpgsqlCommand(sql, conn);
        await cmd.ExecuteNonQueryAsync();
    }
}

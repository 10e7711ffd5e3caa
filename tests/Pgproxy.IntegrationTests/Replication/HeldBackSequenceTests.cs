using System.Globalization;
using System.Text;
using Npgsql;
using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Replication;

/// <summary>
/// An INSERT into a table with a serial column inside a transaction, while another session draws the same sequence
/// with nextval() before the first commits. Held back for the other node until the COMMIT, the INSERT drew there
/// after the other session's nextval(): the row got id 1 on main and 2 on node 1, every time, and nothing said so.
/// </summary>
[Collection(ReplicationSuite.Name)]
public sealed class HeldBackSequenceTests(TwoNodes cluster) : ReplicationTestBase(cluster)
{
    [PostgresTheory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Insert_drawing_a_sequence_in_a_transaction_keeps_main_s_value_on_every_node(bool extended)
    {
        var table = await CreateReplicatedTableAsync("heldseq", "id serial primary key, who text");
        await using var writer = await OpenAsync();
        await using var raw = await RawPgClient.ConnectAsync(Proxy.Port);
        await raw.StartupAsync();
        await using var drawer = await OpenAsync();

        var insert = $"INSERT INTO {table} (who) VALUES ('writer') RETURNING id";
        int id;
        if (extended)
        {
            await using (var begin = new NpgsqlCommand("BEGIN", writer))
            {
                await begin.ExecuteNonQueryAsync();
            }

            await using var cmd = new NpgsqlCommand(insert, writer);
            id = (int)(await cmd.ExecuteScalarAsync())!;
        }
        else
        {
            await raw.SendAsync(RawPgClient.Query("BEGIN"));
            await raw.ReadUntilAsync('Z');
            await raw.SendAsync(RawPgClient.Query(insert));
            var row = (await raw.ReadUntilAsync('Z')).Single(m => m.Type == 'D').Body;
            id = int.Parse(Encoding.UTF8.GetString(row.AsSpan(6)), CultureInfo.InvariantCulture);
        }

        await using (var draw = new NpgsqlCommand($"SELECT nextval(pg_get_serial_sequence('{table}', 'id'))", drawer))
        {
            await draw.ExecuteScalarAsync();
        }

        if (extended)
        {
            await using var commit = new NpgsqlCommand("COMMIT", writer);
            await commit.ExecuteNonQueryAsync();
        }
        else
        {
            await raw.SendAsync(RawPgClient.Query("COMMIT"));
            Assert.DoesNotContain(await raw.ReadUntilAsync('Z'), m => m.Type == 'E');
        }

        Assert.Equal(1, await AssertNodesIdenticalAsync(table, "id"));
        foreach (var node in Nodes)
        {
            Assert.Equal(id, await NodeSql.ScalarAsync<int>(node, $"SELECT id FROM {table}"));
        }
    }

    /// <summary>
    /// Npgsql batches {BEGIN; INSERT into a serial table; COMMIT} from 8 clients at once. The batch runs in parts, and
    /// insert_lock's lock could not be taken in a pipeline that BEGIN had not opened yet: the nodes drew the serial
    /// in different orders (about half of the ids differed, silently).
    /// </summary>
    [PostgresFact]
    public async Task Concurrent_transaction_batches_inserting_into_a_serial_table_leave_identical_nodes()
    {
        var table = await CreateReplicatedTableAsync("heldseq", "id serial primary key, client int, n int");
        var clients = Enumerable.Range(0, 8).Select(async client =>
        {
            await using var conn = await OpenAsync();
            for (var n = 0; n < 40; n++)
            {
                await using var batch = new NpgsqlBatch(conn)
                {
                    BatchCommands =
                    {
                        new NpgsqlBatchCommand("BEGIN"),
                        new NpgsqlBatchCommand($"INSERT INTO {table} (client, n) VALUES ({client}, {n})"),
                        new NpgsqlBatchCommand("COMMIT"),
                    },
                };
                await batch.ExecuteNonQueryAsync();
            }
        }).ToArray();
        await Task.WhenAll(clients);

        Assert.Equal(320, await AssertNodesIdenticalAsync(table, "id"));
    }
}

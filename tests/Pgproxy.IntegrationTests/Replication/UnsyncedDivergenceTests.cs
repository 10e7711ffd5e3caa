using System.Globalization;
using Npgsql;
using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Replication;

/// <summary>
/// A statement that fails on one node only, inside an extended-protocol group that no Sync ends yet: an Npgsql
/// batch cut at its COMMIT, or the client's own Flush. The divergence was logged and then ignored (no ReadyForQuery
/// had said the group's BEGIN opened a transaction): main committed, the node that failed waited for a Sync that
/// never came, and the client hung for replication_answer_timeout. The group must fail (XX001) on every node alike
/// and at once, and the session go on.
/// </summary>
[Collection(ReplicationSuite.Name)]
public sealed class UnsyncedDivergenceTests(TwoNodes cluster) : ReplicationTestBase(cluster)
{
    /// <summary>Divides by zero on node 1 only: a read whose answer differs between the nodes.</summary>
    private string FailsOnNodeOne =>
        "SELECT 1 / (inet_server_port() - " + Nodes[1].Port.ToString(CultureInfo.InvariantCulture) + ")";

    [PostgresFact]
    public async Task Npgsql_transaction_batch_failing_on_one_node_fails_everywhere_and_commits_nothing()
    {
        var table = await CreateReplicatedTableAsync("unsynced", "id int primary key");
        await using var conn = await OpenAsync();
        await using (var batch = new NpgsqlBatch(conn))
        {
            foreach (var sql in (string[])["BEGIN", $"INSERT INTO {table} VALUES (1)", FailsOnNodeOne,
                         $"INSERT INTO {table} VALUES (2)", "COMMIT"])
            {
                batch.BatchCommands.Add(new NpgsqlBatchCommand(sql));
            }

            var error = await Assert.ThrowsAsync<PostgresException>(
                () => batch.ExecuteNonQueryAsync().WaitAsync(TimeSpan.FromSeconds(30)));
            Assert.Equal("XX001", error.SqlState);
        }

        // Npgsql takes any XX error for a dying server and drops the connection: a new one reads the table.
        await using var next = await OpenAsync();
        await using (var count = new NpgsqlCommand($"SELECT count(*) FROM {table}", next))
        {
            Assert.Equal(0L, await count.ExecuteScalarAsync());
        }

        Assert.Equal(0, await AssertNodesIdenticalAsync(table, "id"));
        await AssertNothingPreparedAsync("pgproxy%");
    }

    /// <summary>
    /// The same in an implicit transaction cut at a COMMIT, and in a group the client ends with a Flush inside its
    /// own transaction: the error comes at once, the next query is answered, nothing is kept anywhere.
    /// </summary>
    [PostgresTheory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Flush_ended_group_failing_on_one_node_fails_at_once_and_the_session_goes_on(bool inTransaction)
    {
        var table = await CreateReplicatedTableAsync("unsynced", "id int primary key");
        await using var raw = await RawPgClient.ConnectAsync(Proxy.Port);
        await raw.StartupAsync();
        var answers = new List<(char Type, byte[] Body)>();
        if (inTransaction)
        {
            await raw.SendAsync(RawPgClient.Query("BEGIN"));
            await raw.ReadUntilAsync('Z');
            // The INSERT after the read keeps the read in a part that writes (one INSERT is a part of its own,
            // for insert_lock), so every node runs it.
            await raw.SendAsync([.. RawPgClient.Step($"INSERT INTO {table} VALUES (1)"),
                .. RawPgClient.Step(FailsOnNodeOne), .. RawPgClient.Step($"INSERT INTO {table} VALUES (2)"),
                .. RawPgClient.Flush()]);
            await raw.SendAsync([.. RawPgClient.Step("COMMIT"), .. RawPgClient.Sync()]);
            answers.AddRange(await raw.ReadUntilAsync('Z').WaitAsync(TimeSpan.FromSeconds(30)));
            Assert.Equal((byte)'E', answers[^1].Body[0]);
            await raw.SendAsync(RawPgClient.Query("ROLLBACK"));
            await raw.ReadUntilAsync('Z');
        }
        else
        {
            await raw.SendAsync([.. RawPgClient.Step($"INSERT INTO {table} VALUES (1)"),
                .. RawPgClient.Step(FailsOnNodeOne), .. RawPgClient.Step("COMMIT"),
                .. RawPgClient.Step($"INSERT INTO {table} VALUES (2)"), .. RawPgClient.Sync()]);
            answers.AddRange(await raw.ReadUntilAsync('Z').WaitAsync(TimeSpan.FromSeconds(30)));
            Assert.Equal((byte)'I', answers[^1].Body[0]);
        }

        var error = Assert.Single(answers, m => m.Type == 'E');
        Assert.Equal("XX001", RawPgClient.ErrorField(error.Body, 'C'));

        await raw.SendAsync(RawPgClient.Query($"SELECT count(*) FROM {table}"));
        var counted = await raw.ReadUntilAsync('Z').WaitAsync(TimeSpan.FromSeconds(30));
        Assert.DoesNotContain(counted, m => m.Type == 'E');
        Assert.Equal(0, await AssertNodesIdenticalAsync(table, "id"));
        await AssertNothingPreparedAsync("pgproxy%");
    }
}

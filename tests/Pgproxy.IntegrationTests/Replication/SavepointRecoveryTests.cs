using Npgsql;
using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Replication;

/// <summary>
/// A transaction that failed and is taken back to a savepoint (or ended) by the extended protocol, as Npgsql sends
/// it. The ROLLBACK TO SAVEPOINT went to the failed node alone, and the COMMIT behind it rolled the others back as a
/// failed transaction's: main kept the writes, the others lost them, and nothing said so.
/// </summary>
[Collection(ReplicationSuite.Name)]
public sealed class SavepointRecoveryTests(TwoNodes cluster) : ReplicationTestBase(cluster)
{
    [PostgresFact]
    public async Task Npgsql_batch_back_to_a_savepoint_after_an_error_commits_the_same_rows_on_every_node()
    {
        var table = await CreateReplicatedTableAsync("sprec", "id int primary key");
        await ExecuteOnProxyAsync($"INSERT INTO {table} VALUES (0)");
        await using var conn = await OpenAsync();

        await using (var failing = new NpgsqlBatch(conn))
        {
            failing.BatchCommands.Add(new NpgsqlBatchCommand("BEGIN"));
            failing.BatchCommands.Add(new NpgsqlBatchCommand($"INSERT INTO {table} VALUES (1)"));
            failing.BatchCommands.Add(new NpgsqlBatchCommand("SAVEPOINT a"));
            failing.BatchCommands.Add(new NpgsqlBatchCommand($"INSERT INTO {table} VALUES (0)"));
            var error = await Assert.ThrowsAsync<PostgresException>(() => failing.ExecuteNonQueryAsync());
            Assert.Equal("23505", error.SqlState);
        }

        await using (var recovering = new NpgsqlBatch(conn))
        {
            recovering.BatchCommands.Add(new NpgsqlBatchCommand("ROLLBACK TO SAVEPOINT a"));
            recovering.BatchCommands.Add(new NpgsqlBatchCommand($"INSERT INTO {table} VALUES (3)"));
            recovering.BatchCommands.Add(new NpgsqlBatchCommand("COMMIT"));
            await recovering.ExecuteNonQueryAsync();
        }

        Assert.Equal(3, await AssertNodesIdenticalAsync(table, "id"));
        Assert.Equal(3L, await NodeSql.ScalarAsync<long>(Nodes[1], $"SELECT count(*) FROM {table}"));
    }

    /// <summary>
    /// The same with each statement after the error in a Sync of its own, and with the ROLLBACK TO ended by a Flush
    /// (its ReadyForQuery comes only with the COMMIT's Sync): PostgreSQL commits rows 0, 1 and 3 in both.
    /// </summary>
    [PostgresTheory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Extended_rollback_to_savepoint_after_an_error_is_run_on_every_node(bool syncEach)
    {
        var table = await CreateReplicatedTableAsync("sprec", "id int primary key");
        await ExecuteOnProxyAsync($"INSERT INTO {table} VALUES (0)");
        await using var raw = await RawPgClient.ConnectAsync(Proxy.Port);
        await raw.StartupAsync();

        await raw.SendAsync([.. RawPgClient.Step("BEGIN"), .. RawPgClient.Step($"INSERT INTO {table} VALUES (1)"),
            .. RawPgClient.Step("SAVEPOINT a"),
            .. RawPgClient.Step($"INSERT INTO {table} VALUES (0)"), .. RawPgClient.Sync()]);
        var failed = await raw.ReadUntilAsync('Z');
        Assert.Contains(failed, m => m.Type == 'E');
        Assert.Equal((byte)'E', failed[^1].Body[0]);

        var answers = new List<(char Type, byte[] Body)>();
        if (syncEach)
        {
            foreach (var sql in (string[])["ROLLBACK TO SAVEPOINT a", $"INSERT INTO {table} VALUES (3)", "COMMIT"])
            {
                await raw.SendAsync([.. RawPgClient.Step(sql), .. RawPgClient.Sync()]);
                answers.AddRange(await raw.ReadUntilAsync('Z'));
            }
        }
        else
        {
            await raw.SendAsync([.. RawPgClient.Step("ROLLBACK TO SAVEPOINT a"),
                .. RawPgClient.Step($"INSERT INTO {table} VALUES (3)"),
                .. RawPgClient.Flush()]);
            await raw.SendAsync([.. RawPgClient.Step("COMMIT"), .. RawPgClient.Sync()]);
            answers.AddRange(await raw.ReadUntilAsync('Z'));
        }

        Assert.DoesNotContain(answers, m => m.Type == 'E');
        Assert.Equal((byte)'I', answers[^1].Body[0]);
        Assert.Equal(3, await AssertNodesIdenticalAsync(table, "id"));
    }

    /// <summary>
    /// A failed transaction ended by the extended protocol in the same group as the writes that follow: they ran on
    /// the failed node alone, while the others merely rolled back (the group was not cut at a ROLLBACK).
    /// </summary>
    [PostgresTheory]
    [InlineData("ROLLBACK")]
    [InlineData("COMMIT")]
    [InlineData("ABORT")]
    public async Task Writes_after_the_end_of_a_failed_transaction_in_one_group_reach_every_node(string end)
    {
        var table = await CreateReplicatedTableAsync("sprec", "id int primary key");
        await ExecuteOnProxyAsync($"INSERT INTO {table} VALUES (0)");
        await using var raw = await RawPgClient.ConnectAsync(Proxy.Port);
        await raw.StartupAsync();

        await raw.SendAsync([.. RawPgClient.Step("BEGIN"), .. RawPgClient.Step($"INSERT INTO {table} VALUES (1)"),
            .. RawPgClient.Step($"INSERT INTO {table} VALUES (0)"), .. RawPgClient.Sync()]);
        Assert.Equal((byte)'E', (await raw.ReadUntilAsync('Z'))[^1].Body[0]);

        await raw.SendAsync([.. RawPgClient.Step(end), .. RawPgClient.Step($"INSERT INTO {table} VALUES (5)"),
            .. RawPgClient.Step($"INSERT INTO {table} VALUES (6)"), .. RawPgClient.Sync()]);
        var answers = await raw.ReadUntilAsync('Z');

        Assert.DoesNotContain(answers, m => m.Type == 'E');
        Assert.Equal((byte)'I', answers[^1].Body[0]);
        Assert.Equal(3, await AssertNodesIdenticalAsync(table, "id"));
    }
}

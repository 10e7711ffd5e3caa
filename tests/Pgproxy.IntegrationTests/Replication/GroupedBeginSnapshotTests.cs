using System.Text;
using Npgsql;
using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Replication;

/// <summary>
/// Two ways a strict transaction's start went wrong that RepeatableReadSnapshotTests did not reach. pgjdbc sends a
/// transaction's BEGIN in the extended-protocol group of its first query: main ran the group and took its snapshot,
/// node 1 only once main had answered, so a commit in between was in node 1's snapshot alone and the nodes wrote
/// different rows, silently. And a SERIALIZABLE READ ONLY DEFERRABLE transaction took its snapshot behind the write
/// gate, where PostgreSQL makes it wait for the serializable writers to finish, whose commits waited on the gate; so
/// did one made so by the session's defaults alone. Every node's rows are read directly.
/// </summary>
[Collection(ReplicationSuite.Name)]
public sealed class GroupedBeginSnapshotTests(TwoNodes cluster) : ReplicationTestBase(cluster)
{
    [PostgresTheory]
    [InlineData("REPEATABLE READ")]
    [InlineData("SERIALIZABLE")]
    public async Task A_BEGIN_in_the_group_of_the_first_query_takes_the_snapshot_on_every_node_at_one_point(
        string isolation)
    {
        var counter = await CreateReplicatedTableAsync("grsnap", "id int primary key, n int");
        var log = await CreateReplicatedTableAsync("grlog", "v int");
        await ExecuteOnProxyAsync($"INSERT INTO {counter} VALUES (1, 10)");
        await using var strict = await RawPgClient.ConnectAsync(Proxy.Port);
        await strict.StartupAsync();
        await using var other = await OpenAsync();

        // The first query takes a second on main: the update below commits while main runs it, before node 1 starts.
        await strict.SendAsync(RawPgClient.Step($"BEGIN ISOLATION LEVEL {isolation}"),
            RawPgClient.Step($"SELECT sum(n) FROM {counter} WHERE pg_sleep(1) IS NOT NULL"), RawPgClient.Sync());
        await Task.Delay(300);
        await using (var update = new NpgsqlCommand($"UPDATE {counter} SET n = n + 5 WHERE id = 1", other))
        {
            Assert.Equal(1, await update.ExecuteNonQueryAsync());
        }

        var replies = await strict.ReadUntilReadyAsync();
        Assert.Equal("12C12DCZ", RawPgClient.Types(replies));
        Assert.DoesNotContain(replies, m => m.Type == 'N'); // pgproxy's BEGIN came first: PostgreSQL's 25001 warning
        Assert.Equal("10", Encoding.UTF8.GetString(replies[^3].Body[6..]));
        await strict.QueryAsync($"INSERT INTO {log} SELECT sum(n) FROM {counter}");
        await strict.QueryAsync("COMMIT");

        Assert.Equal(1, await AssertNodesIdenticalAsync(log, "v"));
        foreach (var node in Nodes)
        {
            Assert.Equal(10, await NodeSql.ScalarAsync<int>(node, $"SELECT v FROM {log}"));
        }
    }

    /// <summary>The reader is SERIALIZABLE READ ONLY DEFERRABLE by its BEGIN, by the session's defaults alone, or by
    /// SET of the transaction's settings (statements separated by '|', each sent as a Query).</summary>
    [PostgresTheory]
    [InlineData("", "BEGIN ISOLATION LEVEL SERIALIZABLE READ ONLY DEFERRABLE")]
    [InlineData("SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL SERIALIZABLE, READ ONLY, DEFERRABLE",
        "BEGIN")]
    [InlineData("SET default_transaction_isolation = serializable|SET default_transaction_read_only = on"
        + "|SET default_transaction_deferrable = on", "BEGIN")]
    [InlineData("SET default_transaction_read_only = on|SET default_transaction_deferrable = on",
        "BEGIN ISOLATION LEVEL SERIALIZABLE")]
    [InlineData("SELECT set_config('default_transaction_isolation', 'serializable', false)"
        + "|SELECT set_config('default_transaction_read_only', 'on', false)"
        + "|SELECT set_config('default_transaction_deferrable', 'on', false)", "BEGIN")]
    [InlineData("", "BEGIN ISOLATION LEVEL SERIALIZABLE|SET transaction_read_only = on|SET transaction_deferrable TO on")]
    [InlineData("", "BEGIN ISOLATION LEVEL SERIALIZABLE|SET LOCAL transaction_read_only TO 'true'"
        + "|SET TRANSACTION DEFERRABLE")]
    public async Task A_deferrable_reader_waits_for_a_serializable_writer_whose_commit_goes_through(string setup,
        string begin)
    {
        var counter = await CreateReplicatedTableAsync("grdefer", "id int primary key, n int");
        await ExecuteOnProxyAsync($"INSERT INTO {counter} VALUES (1, 10)");
        await using var writer = await RawPgClient.ConnectAsync(Proxy.Port);
        await writer.StartupAsync();
        await using var reader = await RawPgClient.ConnectAsync(Proxy.Port);
        await reader.StartupAsync();

        await writer.QueryAsync("BEGIN ISOLATION LEVEL SERIALIZABLE");
        await writer.QueryAsync($"UPDATE {counter} SET n = n + 1 WHERE id = 1");
        foreach (var statement in $"{setup}|{begin}".Split('|', StringSplitOptions.RemoveEmptyEntries))
        {
            await reader.QueryAsync(statement);
        }

        await reader.SendAsync(RawPgClient.Query($"SELECT n FROM {counter}")); // waits for the writer, as it should
        await Task.Delay(500);
        var commit = writer.QueryAsync("COMMIT");
        if (await Task.WhenAny(commit, Task.Delay(TimeSpan.FromSeconds(8))) != commit)
        {
            // Deadlocked: end the reader's wait on main, which opens the gate, so the suite goes on.
            await NodeSql.ExecuteAsync(Nodes[0],
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE wait_event = 'SafeSnapshot'");
            Assert.Fail("the writer's COMMIT waited at the write gate for the reader's snapshot, which waited for it");
        }

        await commit;

        var replies = await reader.ReadUntilReadyAsync();
        Assert.Equal("TDCZ", RawPgClient.Types(replies));
        // Its snapshot is the one it waited with, from before the writer committed: what PostgreSQL answers directly.
        Assert.Equal("10", Encoding.UTF8.GetString(replies[1].Body[6..]));
        await reader.QueryAsync("COMMIT");
        foreach (var node in Nodes)
        {
            Assert.Equal(11, await NodeSql.ScalarAsync<int>(node, $"SELECT n FROM {counter}"));
        }
    }
}

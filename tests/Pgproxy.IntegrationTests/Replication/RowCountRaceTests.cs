using Npgsql;
using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Replication;

/// <summary>
/// Every node commits a transaction at its own moment: with two-phase commit main commits first and the others'
/// COMMIT PREPARED follows a round trip later. An autocommit write that reaches main after such a commit and
/// another node before it sees the row changed on one and not on the other; when its WHERE reads the changed column
/// it affects other rows there. pgbench with upserts that increment n beside <c>DELETE … WHERE id = k AND n &gt; 3</c>
/// got XX001 within seconds. The write is now rolled back everywhere, waits for the commits in flight, and runs again.
/// Here a test hook holds the upsert's commit between main and node 1, so the race happens every time. Every node is
/// read directly.
/// </summary>
[Collection(ReplicationSuite.Name)]
public sealed class RowCountRaceTests(TwoNodes cluster) : ReplicationTestBase(cluster)
{
    [PostgresFact]
    public async Task A_write_that_meets_a_commit_between_the_nodes_runs_again_once_it_landed()
    {
        var table = await CreateReplicatedTableAsync("rcrace", "id int primary key, n int");
        await ExecuteOnProxyAsync($"INSERT INTO {table} VALUES (1, 3)");
        using (var hold = new CommitHold(Proxy.Runtime.TwoPhase))
        {
            var increment = ExecuteOnProxyAsync($"UPDATE {table} SET n = n + 1 WHERE id = 1");
            await hold.Reached.WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(4, await NodeSql.ScalarAsync<int>(Nodes[0], $"SELECT n FROM {table}"));
            Assert.Equal(3, await NodeSql.ScalarAsync<int>(Nodes[1], $"SELECT n FROM {table}")); // prepared, unseen

            await using var conn = await OpenAsync();
            await using var delete = new NpgsqlCommand($"DELETE FROM {table} WHERE id = 1 AND n > 3", conn);
            var deleting = delete.ExecuteNonQueryAsync();

            // Main deletes the row, node 1 does not see it match: the DELETE waits for the commit in flight. (It
            // used to fail at once with XX001.) The gate waits 2 s for that commit; it is released well before.
            await Task.Delay(500);
            Assert.False(deleting.IsCompleted, deleting.IsFaulted ? deleting.Exception!.InnerException!.Message : "");
            hold.Release();
            await increment;
            Assert.Equal(1, await deleting.WaitAsync(TimeSpan.FromSeconds(30)));
        }

        Assert.Equal(0, await AssertNodesIdenticalAsync(table, "id"));
    }
}

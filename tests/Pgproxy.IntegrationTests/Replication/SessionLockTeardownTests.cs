using Npgsql;
using Pgproxy.Core.Config;
using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Replication;

/// <summary>
/// A client that leaves in the middle of its transaction, right after an INSERT that took insert_lock's session-level
/// lock: under a reset_query_list without DISCARD ALL the cached connection kept the lock, and every later INSERT
/// into the table waited for it on main. The connection is closed instead of cached.
/// </summary>
[Collection(ReplicationSuite.Name)]
public sealed class SessionLockTeardownTests(TwoNodes cluster) : ReplicationTestBase(cluster)
{
    protected override ProxyOptions Configure(ProxyOptions options) => options with { ResetQueryList = ["ABORT"] };

    [PostgresFact]
    public async Task A_client_leaving_after_its_insert_leaves_no_lock_behind()
    {
        var table = await CreateReplicatedTableAsync("lock_teardown", "id serial primary key, v int");
        await using (var leaving = await OpenAsync())
        {
            var tx = await leaving.BeginTransactionAsync(); // not disposed: that would send a ROLLBACK
            await using var insert = new NpgsqlCommand($"INSERT INTO {table} (v) VALUES (1)", leaving, tx);
            await insert.ExecuteNonQueryAsync();
            await leaving.CloseAsync(); // a Terminate with the transaction open
        }

        await NodeSql.AssertEventuallyNoneAsync(Nodes,
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'", "advisory locks left on a node");
        await using var next = await OpenAsync(b => b.CommandTimeout = 10);
        for (var i = 0; i < 3; i++)
        {
            await using var insert = new NpgsqlCommand($"INSERT INTO {table} (v) VALUES (2)", next);
            await insert.ExecuteNonQueryAsync();
        }

        Assert.Equal(3, await AssertNodesIdenticalAsync(table, "id"));
    }
}

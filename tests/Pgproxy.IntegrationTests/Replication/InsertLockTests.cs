using Npgsql;
using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Replication;

/// <summary>
/// insert_lock (on by default) with a role that may only insert: the lock pgproxy takes must be one such a role may
/// take (LOCK TABLE … IN SHARE ROW EXCLUSIVE MODE needed UPDATE rights, and its INSERT failed with 25P02), and the
/// serial values drawn by concurrent inserters must be the same on every node.
/// </summary>
[Collection(ReplicationSuite.Name)]
public sealed class InsertLockTests(TwoNodes cluster) : ReplicationTestBase(cluster)
{
    [PostgresFact]
    public async Task A_role_that_may_only_insert_inserts_into_a_serial_table_with_the_same_ids_everywhere()
    {
        var table = await CreateReplicatedTableAsync("inslock", "id serial primary key, client int, n int");
        var role = "ins_" + table[^8..];
        await ExecuteOnProxyAsync($"CREATE ROLE {role} LOGIN; GRANT INSERT ON {table} TO {role}; " +
                                  $"GRANT USAGE ON SEQUENCE {table}_id_seq TO {role}");
        try
        {
            var clients = Enumerable.Range(1, 4).Select(async client =>
            {
                await using var conn = await OpenAsync(b => b.Username = role);
                for (var n = 0; n < 25; n++)
                {
                    await using var insert = new NpgsqlCommand(
                        $"INSERT INTO {table} (client, n) VALUES ({client}, {n})", conn);
                    Assert.Equal(1, await insert.ExecuteNonQueryAsync());
                }
            });
            await Task.WhenAll(clients);

            Assert.Equal(100, await AssertNodesIdenticalAsync(table, "id"));
        }
        finally
        {
            await ExecuteOnProxyAsync($"DROP TABLE {table}; DROP ROLE {role}");
        }
    }
}

using Npgsql;
using Pgproxy.Core.Config;
using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Replication;

/// <summary>
/// insert_lock's advisory lock is pgproxy's, not the client's: a session counting the advisory locks of its
/// database while another session inserts into a table with a sequence must see only the locks clients took
/// (PostgreSQL's advisory_lock test failed by timing through two nodes when the concurrent cluster test inserted).
/// Reads go to main here (node 1 has weight 0), where insert_lock lives, so the test sees the lock if it leaks.
/// </summary>
[Collection(ReplicationSuite.Name)]
public sealed class OwnLocksHiddenTests(TwoNodes cluster) : ReplicationTestBase(cluster)
{
    private const string CountAdvisory =
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' " +
        "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())";

    protected override ProxyOptions Configure(ProxyOptions options) => options with
    {
        Backends = [.. options.Backends.Select(b => b with { Weight = b.NodeId == 0 ? 1 : 0 })],
    };

    [PostgresFact]
    public async Task Reads_of_pg_locks_see_the_clients_advisory_locks_but_not_insert_lock()
    {
        var table = await CreateReplicatedTableAsync("ownlock", "id serial primary key, v int");
        await using var inserter = await OpenAsync();
        await using var transaction = await inserter.BeginTransactionAsync();
        await using (var insert = new NpgsqlCommand($"INSERT INTO {table} (v) VALUES (1)", inserter, transaction))
        {
            Assert.Equal(1, await insert.ExecuteNonQueryAsync());
        }

        // Main holds insert_lock's lock now: read directly, so the assertions below could see it.
        Assert.Equal(1L, await NodeSql.ScalarAsync<long>(Nodes[0],
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = 1885826168"));

        await using var reader = await OpenAsync();
        Assert.Equal(0L, await ScalarAsync(reader, CountAdvisory));
        Assert.Equal(0L, await ScalarAsync(reader,
            "SELECT count(*) FROM pg_catalog.pg_locks l JOIN pg_database d ON l.database = d.oid " +
            "WHERE l.locktype = 'advisory' AND d.datname = current_database()"));
        var simple = (await PgTools.PsqlAsync(Proxy.Port, "-v", "ON_ERROR_STOP=1", "-qAt", "-c", CountAdvisory))
            .EnsureSuccess();
        Assert.Equal("0", simple.StdOut.Trim());

        await ScalarAsync(reader, "SELECT pg_advisory_lock(42, 7)::text");
        Assert.Equal(1L, await ScalarAsync(reader, CountAdvisory)); // the client's own lock stays visible
        await ScalarAsync(reader, "SELECT pg_advisory_unlock(42, 7)::text");

        await transaction.RollbackAsync();
        await ExecuteOnProxyAsync($"DROP TABLE {table}");
    }

    private static async Task<object?> ScalarAsync(NpgsqlConnection conn, string sql)
    {
        await using var command = new NpgsqlCommand(sql, conn);
        return await command.ExecuteScalarAsync();
    }
}

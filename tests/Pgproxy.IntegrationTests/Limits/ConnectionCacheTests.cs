using Npgsql;
using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Limits;

/// <summary>A backend connection is cached when its client leaves, and reset before the next client gets it.</summary>
[Collection(LimitsSuite.Name)]
public sealed class ConnectionCacheTests(OneNode cluster) : ProxyTestBase(cluster)
{
    [PostgresFact]
    public async Task Reconnect_SameUserAndDatabase_SameBackendWithSessionStateDiscarded()
    {
        int firstPid;
        await using (var first = await OpenAsync())
        {
            firstPid = (int)(await ScalarAsync(first, "SELECT pg_backend_pid()"))!;
            await ScalarAsync(first, "SET work_mem = '7MB'");
            await ScalarAsync(first, "SET application_name = 'first_client'");
            await ScalarAsync(first, "CREATE TEMP TABLE itest_temp (i int)");
            Assert.Equal("7MB", await ScalarAsync(first, "SHOW work_mem"));
        }

        await WaitForSessionsToEndAsync();
        await using var second = await OpenAsync();

        Assert.Equal(firstPid, await ScalarAsync(second, "SELECT pg_backend_pid()"));
        Assert.Equal("4MB", await ScalarAsync(second, "SHOW work_mem"));
        Assert.Equal("", second.PostgresParameters["application_name"]);
        Assert.Equal("", await ScalarAsync(second, "SHOW application_name"));
        Assert.Equal(0L, await ScalarAsync(second, "SELECT count(*) FROM pg_class WHERE relname = 'itest_temp' AND relpersistence = 't'"));
    }

    [PostgresFact]
    public async Task Reconnect_AfterClientLeftTransactionOpen_TransactionRolledBackNotLeaked()
    {
        var table = await CreateTableOnNodeAsync("cache_tx", "id int PRIMARY KEY");
        int firstPid;
        await using (var first = await OpenAsync())
        {
            firstPid = (int)(await ScalarAsync(first, "SELECT pg_backend_pid()"))!;
            await ScalarAsync(first, $"BEGIN; INSERT INTO {table} VALUES (1)");
        }

        await WaitForSessionsToEndAsync();
        await using var second = await OpenAsync();

        Assert.Equal(firstPid, await ScalarAsync(second, "SELECT pg_backend_pid()"));
        Assert.Equal(DBNull.Value, await ScalarAsync(second, "SELECT txid_current_if_assigned()"));
        Assert.Equal(0L, await ScalarAsync(second, $"SELECT count(*) FROM {table}"));
        await ScalarAsync(second, $"INSERT INTO {table} VALUES (2)");
        Assert.Equal(1L, await NodeSql.CountAsync(Node, table));
        Assert.Equal(0L, await NodeSql.ScalarAsync<long>(Node, $"SELECT count(*) FROM {table} WHERE id = 1"));
    }

    private Task WaitForSessionsToEndAsync() =>
        Poll.UntilAsync(() => Proxy.Server.SessionCount == 0, TimeSpan.FromSeconds(5), "the first session to end");

    private static async Task<object?> ScalarAsync(NpgsqlConnection conn, string sql)
    {
        await using var cmd = new NpgsqlCommand(sql, conn);
        return await cmd.ExecuteScalarAsync();
    }
}

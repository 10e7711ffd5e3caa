using Npgsql;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Support;

/// <summary>Talks to a PostgreSQL node directly, bypassing pgproxy, to check what really happened there.</summary>
internal static class NodeSql
{
    public static async Task ExecuteAsync(PostgresInstance node, string sql)
    {
        await using var conn = new NpgsqlConnection(node.ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        await cmd.ExecuteNonQueryAsync();
    }

    public static async Task<T> ScalarAsync<T>(PostgresInstance node, string sql)
    {
        await using var conn = new NpgsqlConnection(node.ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        return (T)(await cmd.ExecuteScalarAsync())!;
    }

    /// <summary>
    /// Polls <paramref name="countSql"/> on every node (every 100 ms, up to 20 s each) until it counts nothing; fails
    /// naming the node and what is left: backends a session must not leave behind wait on locks or clients for good.
    /// </summary>
    public static async Task AssertEventuallyNoneAsync(IEnumerable<PostgresInstance> nodes, string countSql,
        string what)
    {
        foreach (var node in nodes)
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
            long left;
            while ((left = await ScalarAsync<long>(node, countSql)) > 0 && DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }

            Assert.True(left == 0, $"node {node.Port}: {left} {what}");
        }
    }

    public static Task<long> CountAsync(PostgresInstance node, string table) =>
        ScalarAsync<long>(node, $"SELECT count(*) FROM {table}");

    /// <summary>A fresh table name, so tests sharing a cluster never see each other's rows.</summary>
    public static string UniqueTable(string prefix) => $"{prefix}_{Guid.NewGuid().ToString("N")[..12]}";

    /// <summary>Starts the nodes that do not answer (a test before may have stopped or killed them).</summary>
    public static async Task StartStoppedAsync(IEnumerable<PostgresInstance> nodes)
    {
        foreach (var node in nodes)
        {
            if (!await IsRunningAsync(node))
            {
                await node.StartAsync();
            }
        }
    }

    /// <summary>Whether the node answers a query (a test may have stopped it).</summary>
    public static async Task<bool> IsRunningAsync(PostgresInstance node)
    {
        try
        {
            await ScalarAsync<int>(node, "SELECT 1");
            return true;
        }
        catch (NpgsqlException)
        {
            return false;
        }
    }
}

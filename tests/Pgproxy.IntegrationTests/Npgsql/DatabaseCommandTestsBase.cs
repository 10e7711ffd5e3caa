using Npgsql;
using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Npgsql;

/// <summary>
/// CREATE/DROP DATABASE through pgproxy, sent by Npgsql (extended protocol): pgproxy's own idle cached connections
/// must not stand in the way (55006), and with several nodes the statement must run on each, outside a transaction
/// block. Every check of a node reads it directly.
/// </summary>
public abstract class DatabaseCommandTestsBase(PgClusterFixture cluster) : ProxyTestBase(cluster)
{
    private static readonly TimeSpan Quickly = TimeSpan.FromSeconds(10);

    private readonly IReadOnlyList<PostgresInstance> _nodes = cluster.Nodes;

    [PostgresFact]
    public async Task DropDatabase_AfterASessionUsedIt_Succeeds()
    {
        var name = await CreateOnEveryNodeAsync();
        await UseAndCloseAsync(name);

        await ExecuteAsync($"DROP DATABASE {name}");

        await AssertOnEveryNodeAsync(name, exists: false);
    }

    [PostgresFact]
    public async Task DropDatabaseWithForce_AfterASessionUsedIt_Succeeds()
    {
        var name = await CreateOnEveryNodeAsync();
        await UseAndCloseAsync(name);

        await ExecuteAsync($"DROP DATABASE IF EXISTS {name} WITH (FORCE)");

        await AssertOnEveryNodeAsync(name, exists: false);
    }

    [PostgresFact]
    public async Task CreateDatabase_AfterASessionUsedTemplate1_SucceedsOnEveryNode()
    {
        var name = UniqueName();
        await UseAndCloseAsync("template1");

        await ExecuteAsync($"CREATE DATABASE {name}");
        try
        {
            await AssertOnEveryNodeAsync(name, exists: true);
        }
        finally
        {
            await DropOnEveryNodeAsync(name);
        }
    }

    [PostgresFact]
    public async Task CreateAndDropDatabase_ByTheExtendedProtocol_ReachEveryNode()
    {
        var name = UniqueName();

        await ExecuteAsync($"CREATE DATABASE {name} TEMPLATE template0");
        try
        {
            await AssertOnEveryNodeAsync(name, exists: true);
            await ExecuteAsync($"DROP DATABASE {name}");
            await AssertOnEveryNodeAsync(name, exists: false);
        }
        finally
        {
            await DropOnEveryNodeAsync(name);
        }
    }

    private static string UniqueName() => $"itest_db_{Guid.NewGuid().ToString("N")[..12]}";

    private async Task<string> CreateOnEveryNodeAsync()
    {
        var name = UniqueName();
        foreach (var node in _nodes)
        {
            await NodeSql.ExecuteAsync(node, $"CREATE DATABASE {name} TEMPLATE template0");
        }

        return name;
    }

    /// <summary>A session on <paramref name="database"/> runs a query and leaves; waits until its backend is cached.</summary>
    private async Task UseAndCloseAsync(string database)
    {
        await using (var conn = await OpenAsync(b => b.Database = database))
        {
            await using var cmd = new NpgsqlCommand("SELECT 1", conn);
            await cmd.ExecuteScalarAsync();
        }

        await Poll.UntilAsync(
            () => Proxy.Runtime.Pool.IdleSnapshot().Count(c => c.Key.Database == database) == _nodes.Count,
            Quickly, $"the backends of the session on {database} to be cached");
    }

    private async Task ExecuteAsync(string sql)
    {
        await using var conn = await OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        await cmd.ExecuteNonQueryAsync();
    }

    private async Task AssertOnEveryNodeAsync(string name, bool exists)
    {
        for (var i = 0; i < _nodes.Count; i++)
        {
            var count = await NodeSql.ScalarAsync<long>(_nodes[i], $"SELECT count(*) FROM pg_database WHERE datname = '{name}'");
            Assert.True(count == (exists ? 1 : 0), $"node {i}: database {name} {(exists ? "missing" : "still there")}");
        }
    }

    private async Task DropOnEveryNodeAsync(string name)
    {
        foreach (var node in _nodes)
        {
            await NodeSql.ExecuteAsync(node, $"DROP DATABASE IF EXISTS {name} WITH (FORCE)");
        }
    }
}

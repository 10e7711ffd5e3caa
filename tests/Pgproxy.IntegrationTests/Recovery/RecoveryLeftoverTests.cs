using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Pgproxy.Core.Recovery;
using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Recovery;

/// <summary>
/// What a pgproxy that died mid-recovery leaves (issue 15 item 8): a publication with its replica identities on
/// main, a slot, a subscription on the node. The cleanup meant for start-up removes them all and gives the
/// identities back.
/// </summary>
[Collection(RecoverySuite.Name)]
public sealed class RecoveryLeftoverTests(TwoNodes cluster) : IAsyncLifetime
{
    public async Task InitializeAsync()
    {
        await NodeSql.StartStoppedAsync(cluster.Nodes);
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [PostgresFact]
    public async Task Leftovers_of_a_dead_recovery_are_removed_and_identities_given_back()
    {
        var database = "leftover_" + Guid.NewGuid().ToString("N")[..8];
        foreach (var node in cluster.Nodes)
        {
            await NodeSql.ExecuteAsync(node, $"CREATE DATABASE {database}");
            await ExecuteAsync(node, database, "CREATE TABLE t (a int)");
        }

        await ExecuteAsync(cluster.Nodes[0], database,
            """
            ALTER TABLE t REPLICA IDENTITY FULL;
            CREATE PUBLICATION pgproxy_recover_1 FOR ALL TABLES;
            COMMENT ON PUBLICATION pgproxy_recover_1 IS E'd public.t\n';
            """);
        await ExecuteAsync(cluster.Nodes[1], database,
            $"CREATE SUBSCRIPTION pgproxy_recover_1 CONNECTION 'host=127.0.0.1 port={cluster.Nodes[0].Port} " +
            $"user=postgres dbname={database}' PUBLICATION pgproxy_recover_1 " +
            "WITH (copy_data = false, slot_name = 'pgproxy_recover_1_99')");
        Assert.Equal(1L, await NodeSql.ScalarAsync<long>(cluster.Nodes[0], "SELECT count(*) FROM pg_replication_slots"));

        await using (var proxy = ProxyHost.Start(cluster, discardStatus: true))
        {
            await NodeRecovery.CleanupLeftoversAsync(proxy.Runtime, NullLogger.Instance, CancellationToken.None);
        }

        Assert.Equal(0L, await NodeSql.ScalarAsync<long>(cluster.Nodes[0], "SELECT count(*) FROM pg_replication_slots"));
        Assert.Equal(0L, await NodeSql.ScalarAsync<long>(cluster.Nodes[1], "SELECT count(*) FROM pg_subscription"));
        Assert.Equal(0L, await ScalarAsync(cluster.Nodes[0], database, "SELECT count(*) FROM pg_publication"));
        Assert.Equal("d", await ScalarAsync(cluster.Nodes[0], database,
            "SELECT relreplident::text FROM pg_class WHERE oid = 't'::regclass"));
        foreach (var node in cluster.Nodes)
        {
            await NodeSql.ExecuteAsync(node, $"DROP DATABASE {database} WITH (FORCE)");
        }
    }

    private static async Task ExecuteAsync(PostgresInstance node, string database, string sql)
    {
        await using var conn = new NpgsqlConnection(node.ConnectionStringFor(database));
        await conn.OpenAsync();
        await using var command = new NpgsqlCommand(sql, conn);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<object> ScalarAsync(PostgresInstance node, string database, string sql)
    {
        await using var conn = new NpgsqlConnection(node.ConnectionStringFor(database));
        await conn.OpenAsync();
        await using var command = new NpgsqlCommand(sql, conn);
        return (await command.ExecuteScalarAsync())!;
    }
}

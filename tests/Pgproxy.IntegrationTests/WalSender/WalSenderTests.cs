using Npgsql;
using Npgsql.Replication;
using Pgproxy.Core.Hosting;
using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Postgres;
using static Pgproxy.IntegrationTests.WalSender.WalSenderStream;

namespace Pgproxy.IntegrationTests.WalSender;

/// <summary>
/// Issue 17 item 1 on one node: replication connections through pgproxy reach a walsender of their own on the node
/// and speak the replication protocol untouched, while ordinary sessions and SHOW POOL_* carry on.
/// </summary>
[Collection(NpgsqlSuite.Name)]
public sealed class WalSenderTests(OneNode cluster) : ProxyTestBase(cluster)
{
    [PostgresFact]
    public async Task LogicalTestDecoding_RowsInsertedThroughPgproxy_ComeOutOfTheStream()
    {
        var table = await CreateTableOnNodeAsync("walsender", "id int PRIMARY KEY, v text");
        await using var replication = new LogicalReplicationConnection(Proxy.ConnectionString());
        await replication.Open();
        var slot = await replication.CreateTestDecodingReplicationSlot(SlotName(), temporarySlot: true);

        await using (var conn = await OpenAsync())
        {
            await using var insert = new NpgsqlCommand($"INSERT INTO {table} VALUES (1, 'a'), (2, 'b'), (3, 'c')", conn);
            Assert.Equal(3, await insert.ExecuteNonQueryAsync());
        }

        var lines = await ReadTestDecodingAsync(replication, slot, table, 3);

        Assert.Equal(
            new[] { 1, 2, 3 }.Select(i => $"table public.{table}: INSERT: id[integer]:{i} v[text]:'{(char)('a' + i - 1)}'"),
            lines);
    }

    [PostgresFact]
    public async Task PhysicalIdentifySystem_IsTheNodes_FromAWalSenderWithTheClientsParameters()
    {
        var applicationName = "pgproxy_physical_" + Guid.NewGuid().ToString("N")[..8];
        await using var replication = new PhysicalReplicationConnection(Proxy.ConnectionString(b =>
            b.ApplicationName = applicationName));
        await replication.Open();

        var system = await replication.IdentifySystem();

        Assert.Equal(await SystemIdAsync(Node), system.SystemId);
        Assert.Equal(["walsender"], await BackendTypesAsync(Node, applicationName));
    }

    [PostgresFact]
    public async Task PgBaseBackup_ThroughPgproxy_CopiesTheNode()
    {
        var directory = Path.Combine(Path.GetTempPath(), "pgproxy-basebackup-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            (await PgTools.BaseBackupAsync(Proxy.Port, directory)).EnsureSuccess();

            Assert.True(new FileInfo(Path.Combine(directory, "base.tar")).Length > 1024 * 1024);
        }
        finally
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
    }

    [PostgresFact]
    public async Task WhileAReplicationConnectionIsOpen_PlainSessionsAndShowPoolCommandsWork()
    {
        await using var replication = new LogicalReplicationConnection(Proxy.ConnectionString());
        await replication.Open();
        await replication.CreateTestDecodingReplicationSlot(SlotName(), temporarySlot: true);

        await using var conn = await OpenAsync();
        await using (var cmd = new NpgsqlCommand("SELECT backend_type FROM pg_stat_activity WHERE pid = pg_backend_pid()",
                         conn))
        {
            Assert.Equal("client backend", await cmd.ExecuteScalarAsync());
        }

        foreach (var show in new[] { "SHOW POOL_PROCESSES", "SHOW POOL_POOLS" })
        {
            Assert.True(await SessionRowsAsync(conn, show) >= 2, show + " lists both sessions");
        }
    }

    [PostgresFact]
    public async Task ReplicationConnection_IsNeverCached_TheWalSenderEndsWithItsClient()
    {
        var applicationName = "pgproxy_uncached_" + Guid.NewGuid().ToString("N")[..8];
        await using (var replication = new PhysicalReplicationConnection(Proxy.ConnectionString(b =>
                         b.ApplicationName = applicationName)))
        {
            await replication.Open();
            await replication.IdentifySystem();
        }

        await Poll.UntilAsync(async () => (await BackendTypesAsync(Node, applicationName)).Count == 0,
            TimeSpan.FromSeconds(10), "the walsender to end with its client");
        Assert.Equal(0, Proxy.Runtime.Pool.IdleCount);
    }

    [PostgresFact]
    public async Task SmartStop_WaitsForOtherSessionsOnly_ThenEndsTheStreamWith57P01()
    {
        await using var replication = new LogicalReplicationConnection(Proxy.ConnectionString());
        await replication.Open();
        var slot = await replication.CreateTestDecodingReplicationSlot(SlotName(), temporarySlot: true);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var streaming = Task.Run(async () =>
        {
            await foreach (var _ in replication.StartReplication(slot, timeout.Token))
            {
            }
        });
        var plain = await OpenAsync();
        var stop = Proxy.Server.StopAsync(ShutdownMode.Smart);
        await Task.Delay(300);
        Assert.False(stop.IsCompleted, "a smart stop waits for the plain session");

        await plain.DisposeAsync();
        await stop.WaitAsync(TimeSpan.FromSeconds(10));
        var error = await Assert.ThrowsAsync<PostgresException>(() => streaming);
        Assert.Equal("57P01", error.SqlState);
    }

    private static async Task<int> SessionRowsAsync(NpgsqlConnection conn, string show)
    {
        await using var cmd = new NpgsqlCommand(show, conn);
        await using var reader = await cmd.ExecuteReaderAsync();
        var database = reader.GetOrdinal("database");
        var rows = 0;
        while (await reader.ReadAsync())
        {
            rows += reader.GetString(database) == "postgres" ? 1 : 0;
        }

        return rows;
    }
}

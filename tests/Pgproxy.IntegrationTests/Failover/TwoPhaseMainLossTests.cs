using Npgsql;
using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Failover;

/// <summary>
/// Main lost between the others' PREPARE TRANSACTION and its own COMMIT (issue 13 item 4): the transaction did
/// not commit on the nodes left, so they roll it back, the client hears so (40001, as for any transaction lost
/// with main), and the old main stays down.
/// </summary>
[Collection(FailoverSuite.Name)]
public sealed class TwoPhaseMainLossTests(KillableNodes cluster) : IAsyncLifetime
{
    public async Task InitializeAsync()
    {
        await NodeSql.StartStoppedAsync(cluster.Nodes);
    }

    public async Task DisposeAsync()
    {
        if (!await NodeSql.IsRunningAsync(cluster.Nodes[0]))
        {
            await cluster.Nodes[0].StartAsync();
        }
    }

    [PostgresFact]
    public async Task Main_lost_before_its_commit_rolls_the_others_back_and_the_client_is_told()
    {
        await using var proxy = ProxyHost.Start(cluster, o => o with { SystemDbSchema = "tpc_" + Guid.NewGuid().ToString("N")[..10] },
            discardStatus: true);
        var table = NodeSql.UniqueTable("tpcmain");
        await using (var conn = await proxy.OpenAsync())
        {
            await using var create = new NpgsqlCommand($"CREATE TABLE {table} (id int primary key)", conn);
            await create.ExecuteNonQueryAsync();
        }

        proxy.Runtime.TwoPhase.BeforeMainCommit = () => cluster.Nodes[0].StopAsync("immediate");
        await using (var conn = await proxy.OpenAsync())
        {
            await using var insert = new NpgsqlCommand($"INSERT INTO {table} VALUES (1)", conn);
            var error = await Assert.ThrowsAsync<PostgresException>(() => insert.ExecuteNonQueryAsync());
            Assert.Equal("40001", error.SqlState);
            Assert.Contains("did not commit", error.MessageText, StringComparison.Ordinal);
        }

        proxy.Runtime.TwoPhase.BeforeMainCommit = null;
        Assert.Equal(0L, await NodeSql.ScalarAsync<long>(cluster.Nodes[1], $"SELECT count(*) FROM {table}"));
        Assert.Equal(0L, await NodeSql.ScalarAsync<long>(cluster.Nodes[1], "SELECT count(*) FROM pg_prepared_xacts"));
        Assert.Equal(Core.Backends.BackendStatus.Down, proxy.Runtime.Nodes.Nodes[0].Status);

        // The session goes on with node 1 as main.
        await using (var conn = await proxy.OpenAsync())
        {
            await using var insert = new NpgsqlCommand($"INSERT INTO {table} VALUES (2)", conn);
            Assert.Equal(1, await insert.ExecuteNonQueryAsync());
        }

        Assert.Equal(1L, await NodeSql.ScalarAsync<long>(cluster.Nodes[1], $"SELECT count(*) FROM {table}"));
    }
}

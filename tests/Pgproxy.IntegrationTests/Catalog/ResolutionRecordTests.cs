using Npgsql;
using Pgproxy.Core.Hosting;
using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Catalog;

/// <summary>A prepared transaction a crash left is ended by the next pgproxy, and the system DB says so.</summary>
[Collection(CatalogSuite.Name)]
public sealed class ResolutionRecordTests(TwoNodesWithSystemDb cluster)
{
    [PostgresFact]
    public async Task A_resolution_is_written_to_the_system_db()
    {
        var db = new SystemDbSql(cluster.SystemDb!, SystemDbSql.UniqueSchema());
        var table = NodeSql.UniqueTable("resolved");
        var dying = ProxyHost.Start(cluster, o => o with { SystemDbSchema = db.Schema });
        try
        {
            await using (var conn = await dying.OpenAsync())
            {
                await using var create = new NpgsqlCommand($"CREATE TABLE {table} (id int primary key)", conn);
                await create.ExecuteNonQueryAsync();
            }

            var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            dying.Runtime.TwoPhase.AfterMainCommit = async () =>
            {
                reached.TrySetResult();
                await Task.Delay(Timeout.Infinite, dying.Runtime.Shutdown.Token);
            };
            var insert = Task.Run(async () =>
            {
                await using var conn = await dying.OpenAsync();
                await using var cmd = new NpgsqlCommand($"INSERT INTO {table} VALUES (1)", conn);
                await cmd.ExecuteNonQueryAsync();
            });
            await reached.Task.WaitAsync(TimeSpan.FromSeconds(30));
            await dying.Server.StopAsync(ShutdownMode.Immediate);
            await Assert.ThrowsAnyAsync<Exception>(() => insert);
        }
        finally
        {
            await dying.DisposeAsync();
        }

        await using var next = ProxyHost.Start(cluster, o => o with { SystemDbSchema = db.Schema });
        await next.Server.ResolvePreparedTransactionsAsync();

        Assert.Equal(1L, await NodeSql.ScalarAsync<long>(cluster.Nodes[1], $"SELECT count(*) FROM {table}"));
        Assert.Equal("committed|1|postgres", await db.ScalarAsync<string>(
            $"SELECT outcome || '|' || node_id || '|' || database_name FROM \"{db.Schema}\".prepared_transaction_resolutions " +
            "WHERE gid LIKE 'pgproxy\\_0\\_%'"));
    }
}

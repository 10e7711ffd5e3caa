using System.Diagnostics;
using Npgsql;
using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Replication;

/// <summary>
/// A read balanced to node 1 runs there alone, and a client's cancel goes to node 1 only (SessionLinks.AloneOn):
/// it must still reach the read, on the right backend, and leave the connection usable.
/// </summary>
[Collection(ReplicationSuite.Name)]
public sealed class BalancedReadCancelTests(TwoNodes cluster) : NodeOneReadsTestBase(cluster)
{
    private static readonly TimeSpan Quickly = TimeSpan.FromSeconds(10);

    [PostgresFact]
    public async Task A_read_running_on_node_1_is_cancelled_there()
    {
        await using var conn = await OpenAsync();
        await using var cmd = new NpgsqlCommand("SELECT pg_sleep(30) /* itest_balanced_cancel */", conn);
        var clock = Stopwatch.StartNew();
        var running = cmd.ExecuteNonQueryAsync();
        await Poll.UntilAsync(async () => await SleepersAsync(Nodes[1]) == 1, Quickly, "the sleep to run on node 1");
        Assert.Equal(0, await SleepersAsync(Nodes[0]));

        await Task.Run(cmd.Cancel);

        var error = await Assert.ThrowsAnyAsync<Exception>(() => running);
        Assert.Equal(PostgresErrorCodes.QueryCanceled, PostgresErrors.Find(error)?.SqlState);
        Assert.True(clock.Elapsed < Quickly, $"cancel took {clock.Elapsed}");
        Assert.Equal(0, await SleepersAsync(Nodes[1]));
        await using var after = new NpgsqlCommand("SELECT inet_server_port()", conn);
        Assert.Equal(Nodes[1].Port, (int)(await after.ExecuteScalarAsync())!);
    }

    private static Task<long> SleepersAsync(PostgresInstance node) => NodeSql.ScalarAsync<long>(node,
        "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query LIKE '%itest_balanced_cancel%' " +
        "AND pid <> pg_backend_pid()");
}

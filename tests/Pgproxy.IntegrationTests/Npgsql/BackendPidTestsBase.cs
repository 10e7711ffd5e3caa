using System.Diagnostics;
using Npgsql;
using Pgproxy.Core.Backends;
using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Npgsql;

/// <summary>
/// The pid a client gets in BackendKeyData is main's real backend pid: <c>pg_backend_pid()</c>,
/// <c>pg_terminate_backend(conn.ProcessID)</c> and notifications agree with it, and cancel still works with
/// pgproxy's own secret. Run in front of one node and of two.
/// </summary>
public abstract class BackendPidTestsBase(PgClusterFixture cluster) : ProxyTestBase(cluster)
{
    private static readonly TimeSpan Quickly = TimeSpan.FromSeconds(10);

    // Reads are load-balanced: SELECT pg_backend_pid() could answer from another node's backend, as in pgpool.
    protected override Core.Config.ProxyOptions Configure(Core.Config.ProxyOptions options) =>
        options with { LoadBalanceMode = false };

    [PostgresFact]
    public async Task ProcessID_IsMainsBackendPid()
    {
        await using var conn = await OpenAsync();

        Assert.Equal(conn.ProcessID, await ScalarAsync<int>(conn, "SELECT pg_backend_pid()"));
    }

    /// <summary><c>pg_terminate_backend(other.ProcessID)</c> ends that session with 57P01 and nobody else's.</summary>
    protected async Task AssertTerminateEndsOnlyThatSessionAsync()
    {
        await using var killer = await OpenAsync();
        await using var victim = await OpenAsync();

        Assert.True(await ScalarAsync<bool>(killer, $"SELECT pg_terminate_backend({victim.ProcessID})"));

        var error = await Assert.ThrowsAnyAsync<Exception>(() => ScalarAsync<int>(victim, "SELECT 1"));
        // One session's backend ending is no node failure: nobody else may lose a node.
        Assert.All(Proxy.Runtime.Nodes.Nodes, node => Assert.NotEqual(BackendStatus.Down, node.Status));
        Assert.Equal(1, await ScalarAsync<int>(killer, "SELECT 1"));
        await using var fresh = await OpenAsync();
        Assert.Equal(2, await ScalarAsync<int>(fresh, "SELECT 2"));
        Assert.Equal(PostgresErrorCodes.AdminShutdown, PostgresErrors.Find(error)?.SqlState);
    }

    /// <summary>A LISTENing session gets another's NOTIFY with the notifier's ProcessID.</summary>
    protected async Task AssertNotifyCarriesTheNotifiersProcessIdAsync()
    {
        await using var listener = await OpenAsync();
        await using var notifier = await OpenAsync();
        NpgsqlNotificationEventArgs? received = null;
        listener.Notification += (_, e) => received = e;
        await ScalarAsync<object>(listener, "LISTEN itest_pid_contract");

        await ScalarAsync<object>(notifier, "NOTIFY itest_pid_contract, 'x'");

        Assert.True(received is not null || await listener.WaitAsync(Quickly), "no notification within 10 s");
        Assert.Equal(notifier.ProcessID, received!.PID);
    }

    [PostgresFact]
    public async Task Cancel_DuringSleep_Ends57014()
    {
        await using var conn = await OpenAsync();
        await using var cmd = new NpgsqlCommand("SELECT pg_sleep(30) /* itest_pid_cancel */", conn);
        var clock = Stopwatch.StartNew();
        var running = cmd.ExecuteNonQueryAsync();
        await Poll.UntilAsync(
            async () => await NodeSql.ScalarAsync<long>(Node,
                "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query LIKE '%itest_pid_cancel%' AND pid <> pg_backend_pid()") == 1,
            Quickly, "the sleep to run on node 0");

        await Task.Run(cmd.Cancel);

        var error = await Assert.ThrowsAnyAsync<Exception>(() => running);
        Assert.Equal(PostgresErrorCodes.QueryCanceled, PostgresErrors.Find(error)?.SqlState);
        Assert.True(clock.Elapsed < Quickly, $"cancel took {clock.Elapsed}");
        Assert.Equal(3, await ScalarAsync<int>(conn, "SELECT 3"));
    }

    protected static async Task<T> ScalarAsync<T>(NpgsqlConnection conn, string sql)
    {
        await using var cmd = new NpgsqlCommand(sql, conn);
        return (T)(await cmd.ExecuteScalarAsync())!;
    }
}

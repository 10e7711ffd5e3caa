using Npgsql;
using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Replication;

/// <summary>
/// Main's backend terminated while the session's read runs on node 1 (node 0 has weight 0, so reads go there): the
/// client gets PostgreSQL's 57P01 at that read, as directly, where the read runs on the terminated backend itself
/// (Npgsql's ConnectionTests.Broken_lifecycle, issue 17). pgproxy looks at main's socket once the read is answered;
/// that look used to see only bytes already received, never the FATAL still in the kernel.
/// </summary>
[Collection(ReplicationSuite.Name)]
public sealed class TerminatedMainDuringReadTests(TwoNodes cluster) : NodeOneReadsTestBase(cluster)
{
    [PostgresFact]
    public async Task A_read_on_node_1_while_mains_backend_is_terminated_fails_with_57P01()
    {
        var application = "itest_termread_" + Guid.NewGuid().ToString("N")[..10];
        await using var victim = await OpenAsync(b => b.ApplicationName = application);
        await using var tx = await victim.BeginTransactionAsync();
        await using var sleep = new NpgsqlCommand("SELECT pg_sleep(2), inet_server_port()", victim, tx);
        var running = sleep.ExecuteScalarAsync();
        await Poll.UntilAsync(
            async () => await NodeSql.ScalarAsync<long>(Nodes[1],
                $"SELECT count(*) FROM pg_stat_activity WHERE application_name = '{application}' AND query LIKE '%pg_sleep%'") == 1,
            TimeSpan.FromSeconds(10), "the read to run on node 1");

        Assert.True(await NodeSql.ScalarAsync<bool>(Nodes[0], $"SELECT pg_terminate_backend({victim.ProcessID})"));

        var error = await Assert.ThrowsAsync<PostgresException>(() => running.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(PostgresErrorCodes.AdminShutdown, error.SqlState);
        await NodeSql.AssertEventuallyNoneAsync(Nodes,
            $"SELECT count(*) FROM pg_stat_activity WHERE application_name = '{application}'",
            "backend(s) of the ended session");
    }

    /// <summary>
    /// Another session terminates the backend through pgproxy (with the pid from BackendKeyData), then the victim
    /// reads: the read must fail with 57P01 as directly, not be answered by node 1 (Npgsql's
    /// PhysicalConnectionInitializer_*_with_break failed 1 run in 4 when main's FATAL arrived after node 1's answer).
    /// Repeated, since without the rule the FATAL usually wins the race anyway.
    /// </summary>
    [PostgresFact]
    public async Task A_read_after_another_session_terminated_the_backend_fails_with_57P01()
    {
        await using var killer = await OpenAsync();
        for (var round = 0; round < 20; round++)
        {
            await using var victim = await OpenAsync(b => b.Pooling = false);
            await using (var terminate = new NpgsqlCommand($"SELECT pg_terminate_backend({victim.ProcessID})", killer))
            {
                Assert.Equal(true, await terminate.ExecuteScalarAsync());
            }

            await using var read = new NpgsqlCommand("SELECT 1", victim);
            var error = await Assert.ThrowsAsync<PostgresException>(() => read.ExecuteScalarAsync());
            Assert.Equal(PostgresErrorCodes.AdminShutdown, error.SqlState);
        }
    }
}

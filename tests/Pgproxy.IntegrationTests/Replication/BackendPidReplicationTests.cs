using Npgsql;
using Pgproxy.IntegrationTests.Npgsql;
using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Replication;

[Collection(ReplicationSuite.Name)]
public sealed class BackendPidReplicationTests(TwoNodes cluster) : BackendPidTestsBase(cluster)
{
    private static readonly TimeSpan Quickly = TimeSpan.FromSeconds(10);

    private readonly IReadOnlyList<PostgresInstance> _nodes = cluster.Nodes;

    [PostgresFact]
    public Task TerminateBackend_OfAnotherSessionsProcessID_EndsThatSessionWith57P01() =>
        AssertTerminateEndsOnlyThatSessionAsync();

    /// <summary>
    /// Both of a session's backends terminated (main's through pgproxy with the ProcessID from BackendKeyData, node
    /// 1's directly, as found in its pg_stat_activity): the session ends with 57P01, both nodes stay up, and a new
    /// session's write reaches both.
    /// </summary>
    [PostgresFact]
    public async Task TerminateBackend_OfBothOfASessionsBackends_EndsThatSession_AndBothNodesStayUp()
    {
        var application = "itest_term_" + Guid.NewGuid().ToString("N")[..10];
        var table = await CreateTableOnEveryNodeAsync("itest_term", "id int PRIMARY KEY");
        await using var killer = await OpenAsync();
        await using var victim = await OpenAsync(b => b.ApplicationName = application);
        Assert.Equal(1, await ScalarAsync<int>(victim, "SELECT 1"));
        var victimOnNode1 = await NodeSql.ScalarAsync<int>(_nodes[1],
            $"SELECT pid FROM pg_stat_activity WHERE application_name = '{application}'");

        Assert.True(await ScalarAsync<bool>(killer, $"SELECT pg_terminate_backend({victim.ProcessID})"));
        // False when the session already ended: pgproxy watches main while the client is idle, so main's FATAL may
        // have ended the session, and with it node 1's backend, before this runs. Either way that backend goes.
        await NodeSql.ScalarAsync<bool>(_nodes[1], $"SELECT pg_terminate_backend({victimOnNode1})");
        await Poll.UntilAsync(
            async () => await NodeSql.ScalarAsync<long>(_nodes[1],
                $"SELECT count(*) FROM pg_stat_activity WHERE pid = {victimOnNode1}") == 0,
            Quickly, "node 1's backend of the victim to end");

        var error = await Assert.ThrowsAnyAsync<Exception>(() => ScalarAsync<int>(victim, "SELECT 1"));
        Assert.Equal(PostgresErrorCodes.AdminShutdown, PostgresErrors.Find(error)?.SqlState);
        Assert.NotEqual(System.Data.ConnectionState.Open, victim.State);

        var statuses = await PoolNodes.StatusesAsync(Proxy.ConnectionString());
        Assert.Equal("up", statuses[0]);
        Assert.Equal("up", statuses[1]);
        await using var fresh = await OpenAsync();
        await using (var insert = new NpgsqlCommand($"INSERT INTO {table} VALUES (1)", fresh))
        {
            Assert.Equal(1, await insert.ExecuteNonQueryAsync());
        }

        Assert.Equal(1L, await NodeSql.CountAsync(_nodes[0], table));
        Assert.Equal(1L, await NodeSql.CountAsync(_nodes[1], table));
    }

    [PostgresFact]
    public Task Notify_FromAnotherSession_CarriesTheNotifiersProcessID() =>
        AssertNotifyCarriesTheNotifiersProcessIdAsync();

    private async Task<string> CreateTableOnEveryNodeAsync(string prefix, string columns)
    {
        var table = NodeSql.UniqueTable(prefix);
        foreach (var node in _nodes)
        {
            await NodeSql.ExecuteAsync(node, $"CREATE TABLE {table} ({columns})");
        }

        return table;
    }
}

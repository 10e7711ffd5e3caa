using Npgsql;
using Pgproxy.Core.Recovery;
using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Logging;

namespace Pgproxy.IntegrationTests.Recovery;

/// <summary>
/// What the recovery tests share: both nodes running before each test (a failure test may have stopped one), and
/// the recovery's log recorded, so an assertion can show it.
/// </summary>
public abstract class RecoveryTestBase(TwoNodes cluster) : IAsyncLifetime, IDisposable
{
    private protected RecordingLoggerProvider RecordedLogs { get; } = new();

    private protected TwoNodes Cluster => cluster;

    public async Task InitializeAsync()
    {
        await NodeSql.StartStoppedAsync(cluster.Nodes);
    }

    public Task DisposeAsync() => Task.CompletedTask;

    public void Dispose()
    {
        RecordedLogs.Dispose();
        GC.SuppressFinalize(this);
    }

    private protected Task<RecoveryOutcome> RecoverAsync(ProxyHost proxy, RecoveryProgress progress, bool wipe) =>
        new NodeRecovery(proxy.Runtime, RecordedLogs.CreateLogger("Pgproxy.Recovery"))
            .RunAsync(new RecoveryRequest(1, wipe, "test"), progress, CancellationToken.None);

    /// <summary>Runs <paramref name="sql"/> through pgproxy on a connection of its own (a test's table, everywhere).</summary>
    private protected static async Task ExecuteThroughAsync(ProxyHost proxy, string sql)
    {
        await using var conn = await proxy.OpenAsync();
        await using var command = new NpgsqlCommand(sql, conn);
        await command.ExecuteNonQueryAsync();
    }

    private protected string Logs() => "\n" + string.Join("\n", RecordedLogs.Logs.Select(l => l.Message));

    /// <summary>No subscription, slot or publication of a recovery on either node.</summary>
    internal async Task AssertNoRecoveryObjectsAsync()
    {
        foreach (var node in Cluster.Nodes)
        {
            Assert.Equal(0L, await NodeSql.ScalarAsync<long>(node,
                "SELECT (SELECT count(*) FROM pg_subscription WHERE subname LIKE 'pgproxy_recover%') + " +
                "(SELECT count(*) FROM pg_replication_slots) + " +
                "(SELECT count(*) FROM pg_publication WHERE pubname LIKE 'pgproxy_recover%')"));
        }
    }
}

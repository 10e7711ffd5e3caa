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
        foreach (var node in cluster.Nodes)
        {
            if (!await NodeSql.IsRunningAsync(node))
            {
                await node.StartAsync();
            }
        }
    }

    public Task DisposeAsync() => Task.CompletedTask;

    public void Dispose()
    {
        RecordedLogs.Dispose();
        GC.SuppressFinalize(this);
    }
}

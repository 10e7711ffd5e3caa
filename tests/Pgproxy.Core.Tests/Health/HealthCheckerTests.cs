using Microsoft.Extensions.Logging.Abstractions;
using Pgproxy.Core.Auth;
using Pgproxy.Core.Backends;
using Pgproxy.Core.Config;
using Pgproxy.Core.Health;
using Pgproxy.Core.Hosting;
using Pgproxy.Core.Transport;
using Pgproxy.Protocol.Messages;
using Pgproxy.TestUtilities.Scripted;

namespace Pgproxy.Core.Tests.Health;

/// <summary>
/// One round of checks against scripted backends (the startup runs through pgproxy's real code) or a connector
/// that fails as a dead node does; retry delays are 0, so nothing here sleeps.
/// </summary>
public sealed class HealthCheckerTests
{
    private static ProxyRuntime Runtime(string node1Flag = "ALLOW_TO_FAILOVER") => new(
        new ProxyOptions
        {
            Backends =
            [
                new BackendConfig { NodeId = 0, Hostname = "127.0.0.1", Port = 5432 },
                new BackendConfig { NodeId = 1, Hostname = "127.0.0.1", Port = 5433, Flag = node1Flag },
            ],
            PoolPasswd = "",
        },
        NullLoggerFactory.Instance,
        TimeProvider.System);

    private static HealthCheckSettings Settings(int maxRetries = 0, string password = "", string database = "") =>
        new()
        {
            PeriodSeconds = 1,
            TimeoutSeconds = 5,
            ConnectTimeoutMs = 5000,
            User = "checker",
            Password = password,
            Database = database,
            MaxRetries = maxRetries,
            RetryDelaySeconds = 0,
        };

    /// <summary>Fails every connection as configured, or hangs until cancelled; records what was asked.</summary>
    private sealed class FailingConnector(Func<BackendPoolKey, Exception?> failure) : IBackendConnector
    {
        public List<BackendPoolKey> Keys { get; } = [];

        public async Task<BackendConnection> ConnectAsync(BackendNode node, BackendPoolKey key,
            BackendCredential? credential, int connectTimeoutMs, EpollLoop? loop,
            CancellationToken cancellationToken)
        {
            lock (Keys)
            {
                Keys.Add(key);
            }

            if (failure(key) is { } e)
            {
                throw e;
            }

            await Task.Delay(Timeout.Infinite, cancellationToken);
            throw new InvalidOperationException("unreachable");
        }
    }

    private static FailingConnector Refusing(string sqlState) =>
        new(_ => new BackendStartupException(sqlState, $"refused with {sqlState}"));

    [Fact]
    public async Task WaitingNodeAnswers_IsMarkedUp_AndCountedAsSuccess()
    {
        var runtime = Runtime();
        var connector = new ScriptedBackendConnector();
        runtime.BackendConnector = connector;
        var checker = new HealthChecker(runtime, NullLogger.Instance);
        var node = runtime.Nodes.Nodes[1];

        var round = await checker.CheckNodeAsync(node, Settings(), CancellationToken.None);

        Assert.True(round!.Value.Last.Succeeded);
        Assert.Equal(BackendStatus.Up, node.Status);
        var backend = connector.Single;
        await backend.Closed.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(backend.ReceivedTerminate);
        Assert.Equal("checker", backend.Startup!.User);
        Assert.Equal("postgres", backend.Startup.Database);
        Assert.Equal("pgproxy health check", backend.Startup.GetParameter("application_name"));
        var stats = runtime.HealthStats[1].Snapshot();
        Assert.Equal((1, 1, 0), (stats.TotalCount, stats.SuccessCount, stats.FailCount));
        Assert.NotNull(stats.LastSuccessfulHealthCheck);
    }

    [Theory]
    [InlineData(SqlState.SqlClientUnableToEstablishConnection)]
    [InlineData(SqlState.ConnectionFailure)]
    [InlineData(SqlState.CannotConnectNow)]
    [InlineData(SqlState.AdminShutdown)]
    public async Task NodeDown_AfterTheLastRetry_IsDegeneratedWithTheReason(string sqlState)
    {
        var runtime = Runtime();
        var connector = Refusing(sqlState);
        runtime.BackendConnector = connector;
        var changes = new List<NodeStatusChange>();
        runtime.Nodes.StatusChanged += changes.Add;
        var checker = new HealthChecker(runtime, NullLogger.Instance);
        var node = runtime.Nodes.Nodes[1];

        var round = await checker.CheckNodeAsync(node, Settings(maxRetries: 2), CancellationToken.None);

        Assert.Equal(HealthCheckFailure.Unreachable, round!.Value.Last.Failure);
        Assert.Equal(2, round.Value.Retries);
        Assert.Equal(3, connector.Keys.Count);
        Assert.Equal(BackendStatus.Down, node.Status);
        var change = Assert.Single(changes);
        Assert.Equal(1, change.NodeId);
        Assert.Equal($"health check failed: refused with {sqlState}", change.Reason);
        var stats = runtime.HealthStats[1].Snapshot();
        Assert.Equal((1L, 0L, 1L, 2L, 2), (stats.TotalCount, stats.SuccessCount, stats.FailCount, stats.RetryCount,
            stats.MaxRetryCount));
    }

    [Fact]
    public async Task NodeDown_DisallowToFailover_StaysAttached()
    {
        var runtime = Runtime(node1Flag: "DISALLOW_TO_FAILOVER");
        runtime.BackendConnector = Refusing(SqlState.ConnectionFailure);
        var checker = new HealthChecker(runtime, NullLogger.Instance);
        var node = runtime.Nodes.Nodes[1];

        var round = await checker.CheckNodeAsync(node, Settings(), CancellationToken.None);

        Assert.False(round!.Value.Last.Succeeded);
        Assert.Equal(BackendStatus.Waiting, node.Status);
        Assert.Equal(1, runtime.HealthStats[1].Snapshot().FailCount);
    }

    [Theory]
    [InlineData(SqlState.InvalidPassword)]
    [InlineData(SqlState.InvalidAuthorizationSpecification)]
    [InlineData(SqlState.TooManyConnections)]
    [InlineData(SqlState.InvalidCatalogName)]
    public async Task NodeRefusesTheLogin_StaysAttached_FailureCounted(string sqlState)
    {
        var runtime = Runtime();
        runtime.BackendConnector = Refusing(sqlState);
        var checker = new HealthChecker(runtime, NullLogger.Instance);
        var node = runtime.Nodes.Nodes[0];

        var round = await checker.CheckNodeAsync(node, Settings(database: "app"), CancellationToken.None);

        Assert.Equal(HealthCheckFailure.Refused, round!.Value.Last.Failure);
        Assert.Contains(sqlState, round.Value.Last.Reason, StringComparison.Ordinal);
        Assert.Equal(BackendStatus.Waiting, node.Status);
        Assert.Equal(1, runtime.HealthStats[0].Snapshot().FailCount);
    }

    [Fact]
    public async Task WrongPasswordForMd5_IsRefusedByTheNode_NotAFailover()
    {
        var runtime = Runtime();
        runtime.BackendConnector = new ScriptedBackendConnector(new ScriptedBackendScript { Md5Password = "right" });
        var checker = new HealthChecker(runtime, NullLogger.Instance);
        var node = runtime.Nodes.Nodes[1];

        var wrong = await checker.CheckNodeAsync(node, Settings(password: "wrong"), CancellationToken.None);
        var right = await checker.CheckNodeAsync(node, Settings(password: "right"), CancellationToken.None);

        Assert.Equal(HealthCheckFailure.Refused, wrong!.Value.Last.Failure);
        Assert.True(right!.Value.Last.Succeeded);
        Assert.Equal(BackendStatus.Up, node.Status);
    }

    [Fact]
    public async Task NoPostgresDatabase_TriesTemplate1()
    {
        var runtime = Runtime();
        var connector = new FailingConnector(key => key.Database == "postgres"
            ? new BackendStartupException(SqlState.InvalidCatalogName, "database \"postgres\" does not exist")
            : new BackendStartupException(SqlState.ConnectionFailure, "gone"));
        runtime.BackendConnector = connector;
        var checker = new HealthChecker(runtime, NullLogger.Instance);

        await checker.CheckNodeAsync(runtime.Nodes.Nodes[1], Settings(), CancellationToken.None);

        Assert.Equal(["postgres", "template1"], connector.Keys.Select(k => k.Database));
    }

    [Fact]
    public async Task NodeHangs_TimesOutAfterHealthCheckTimeout_AndIsDegenerated()
    {
        var runtime = Runtime();
        runtime.BackendConnector = new FailingConnector(_ => null);
        var checker = new HealthChecker(runtime, NullLogger.Instance);
        var node = runtime.Nodes.Nodes[1];

        var round = await checker.CheckNodeAsync(node, Settings() with { TimeoutSeconds = 1 },
            CancellationToken.None);

        Assert.Equal(HealthCheckFailure.TimedOut, round!.Value.Last.Failure);
        Assert.Equal(BackendStatus.Down, node.Status);
        Assert.StartsWith("health check failed: no answer", node.LastStatusReason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DownNode_IsSkipped()
    {
        var runtime = Runtime();
        var connector = Refusing(SqlState.ConnectionFailure);
        runtime.BackendConnector = connector;
        var checker = new HealthChecker(runtime, NullLogger.Instance);
        var node = runtime.Nodes.Nodes[1];
        runtime.Nodes.Degenerate(node, "test");

        var round = await checker.CheckNodeAsync(node, Settings(), CancellationToken.None);

        Assert.Null(round);
        Assert.Empty(connector.Keys);
        var stats = runtime.HealthStats[1].Snapshot();
        Assert.Equal((1, 1), (stats.TotalCount, stats.SkipCount));
    }

    [Fact]
    public async Task UndecryptableAesPassword_IsACountedFailure_NotAFailover()
    {
        var runtime = Runtime();
        var connector = new ScriptedBackendConnector();
        runtime.BackendConnector = connector;
        var checker = new HealthChecker(runtime, NullLogger.Instance);
        var node = runtime.Nodes.Nodes[1];

        var round = await checker.CheckNodeAsync(node, Settings(password: "AESbm90IGEgcmVhbCBvbmU="),
            CancellationToken.None);

        Assert.Equal(HealthCheckFailure.Refused, round!.Value.Last.Failure);
        Assert.StartsWith("health_check_password:", round.Value.Last.Reason, StringComparison.Ordinal);
        Assert.Equal(0, connector.ConnectCount);
        Assert.Equal(BackendStatus.Waiting, node.Status);
    }
}

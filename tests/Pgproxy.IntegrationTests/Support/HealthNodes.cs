using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Support;

/// <summary>
/// Two PostgreSQL nodes for the health check tests, which stop, hang and restart them (so they get a cluster of
/// their own). Both demand SCRAM-SHA-256 from <see cref="ScramUser"/> and md5 from <see cref="Md5User"/>; user
/// postgres stays trusted.
/// </summary>
public sealed class HealthNodes() : PgClusterFixture(2)
{
    public const string ScramUser = "health_scram";
    public const string ScramPassword = "scram health";
    public const string Md5User = "health_md5";
    public const string Md5Password = "md5 health";

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        if (SkipReason is not null)
        {
            return;
        }

        foreach (var node in Nodes)
        {
            (await node.RunPsqlAsync(
                $"CREATE ROLE {ScramUser} LOGIN PASSWORD '{ScramPassword}'; " +
                "SET password_encryption = 'md5'; " +
                $"CREATE ROLE {Md5User} LOGIN PASSWORD '{Md5Password}';")).EnsureSuccess();
        }
    }

    /// <summary>Starts every node a test left stopped, so the next test finds the cluster whole.</summary>
    public async Task StartAllAsync()
    {
        foreach (var node in Nodes)
        {
            await node.StartAsync();
        }
    }

    protected override PostgresInstanceOptions CreateNodeOptions(int index) => new()
    {
        Name = "health" + index,
        HbaLines =
        [
            $"host all {ScramUser} 127.0.0.1/32 scram-sha-256",
            $"host all {Md5User} 127.0.0.1/32 md5",
        ],
    };
}

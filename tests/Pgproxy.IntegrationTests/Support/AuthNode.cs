using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Support;

/// <summary>
/// One PostgreSQL node that demands passwords: SCRAM-SHA-256 from <see cref="ScramUser"/> and
/// <see cref="PassthroughUser"/>, md5 (with an md5-stored password) from <see cref="Md5User"/>. User postgres is
/// still trusted, so the fixture and direct checks work as everywhere else.
/// </summary>
public sealed class AuthNode() : PgClusterFixture(1)
{
    public const string ScramUser = "auth_scram";
    public const string ScramPassword = "scram pässword:1";
    public const string Md5User = "auth_md5";
    public const string Md5UserPassword = "md5 secret";
    public const string PassthroughUser = "auth_passthrough";
    public const string PassthroughPassword = "pass through";

    /// <summary>A database owned by <see cref="ScramUser"/>, for pgbench's tables.</summary>
    public const string BenchDatabase = "auth_bench";

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        if (SkipReason is not null)
        {
            return;
        }

        var node = Nodes[0];
        (await node.RunPsqlAsync(
            $"CREATE ROLE {ScramUser} LOGIN PASSWORD '{ScramPassword}'; " +
            $"CREATE ROLE {PassthroughUser} LOGIN PASSWORD '{PassthroughPassword}'; " +
            "SET password_encryption = 'md5'; " +
            $"CREATE ROLE {Md5User} LOGIN PASSWORD '{Md5UserPassword}';")).EnsureSuccess();
        (await node.RunPsqlAsync($"CREATE DATABASE {BenchDatabase} OWNER {ScramUser}")).EnsureSuccess();
    }

    protected override PostgresInstanceOptions CreateNodeOptions(int index) => new()
    {
        Name = "auth",
        HbaLines =
        [
            $"host all {ScramUser} 127.0.0.1/32 scram-sha-256",
            $"host all {PassthroughUser} 127.0.0.1/32 scram-sha-256",
            $"host all {Md5User} 127.0.0.1/32 md5",
        ],
    };
}

using Pgproxy.Core.Backends;
using Pgproxy.IntegrationTests.Support;
using Pgproxy.Protocol.Auth;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Health;

/// <summary>
/// health_check_user logging into nodes that demand SCRAM or md5, with health_check_password '' taking the
/// secret from pool_passwd.
/// </summary>
[Collection(HealthSuite.Name)]
public sealed class HealthCheckAuthTests(HealthNodes cluster) : HealthCheckTestBase(cluster)
{
    private string PoolPasswdPath => Path.Combine(Folder, "pool_passwd");

    [PostgresTheory]
    [InlineData(HealthNodes.ScramUser, "TEXT" + HealthNodes.ScramPassword)]
    [InlineData(HealthNodes.Md5User, "TEXT" + HealthNodes.Md5Password)]
    [InlineData(HealthNodes.Md5User, "md5")]
    public async Task PasswordFromPoolPasswd_LogsIntoNodesDemandingIt(string user, string secret)
    {
        if (secret == "md5")
        {
            secret = Md5Password.HashForPoolPasswd(user, HealthNodes.Md5Password);
        }

        await File.WriteAllTextAsync(PoolPasswdPath, $"{user}:{secret}\n");
        var proxy = StartProxy(o => o with
        {
            HealthCheckUser = user,
            HealthCheckPassword = "",
            PoolPasswd = PoolPasswdPath,
        });

        await Poll.UntilAsync(() => Stats(proxy, 0).SuccessCount >= 2 && Stats(proxy, 1).SuccessCount >= 2,
            Patience, "two successful rounds on each node");

        Assert.Equal(0, Stats(proxy, 0).FailCount + Stats(proxy, 1).FailCount);
        Assert.Equal(BackendStatus.Up, Node(proxy, 0).Status);
        Assert.Equal(BackendStatus.Up, Node(proxy, 1).Status);
    }

    [PostgresFact]
    public async Task PasswordInTheConfig_WorksWithoutPoolPasswd()
    {
        var proxy = StartProxy(o => o with
        {
            HealthCheckUser = HealthNodes.ScramUser,
            HealthCheckPassword = HealthNodes.ScramPassword,
        });

        await Poll.UntilAsync(() => Stats(proxy, 0).SuccessCount >= 1 && Stats(proxy, 1).SuccessCount >= 1,
            Patience, "a successful round on each node");

        Assert.Equal(0, Stats(proxy, 0).FailCount + Stats(proxy, 1).FailCount);
    }

    [PostgresFact]
    public async Task WrongPassword_IsCountedAsFailure_ButNoNodeIsDegenerated()
    {
        await File.WriteAllTextAsync(PoolPasswdPath, $"{HealthNodes.ScramUser}:TEXTnot the password\n");
        var hook = Path.Combine(Folder, "failover.out");
        var proxy = StartProxy(o => o with
        {
            HealthCheckUser = HealthNodes.ScramUser,
            HealthCheckPassword = "",
            PoolPasswd = PoolPasswdPath,
            FailoverCommand = $"echo %d > {hook}",
        });

        await Poll.UntilAsync(() => Stats(proxy, 0).FailCount >= 2 && Stats(proxy, 1).FailCount >= 2, Patience,
            "two failed rounds on each node");

        Assert.NotEqual(BackendStatus.Down, Node(proxy, 0).Status);
        Assert.NotEqual(BackendStatus.Down, Node(proxy, 1).Status);
        Assert.Contains("28P01", Stats(proxy, 0).LastFailure, StringComparison.Ordinal);
        Assert.False(File.Exists(hook));

        // The nodes really are fine: a client gets through.
        await using var conn = await proxy.OpenAsync();
        Assert.Equal(PostgresInstance.User, conn.UserName);
    }
}

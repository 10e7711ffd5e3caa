using Npgsql;
using Pgproxy.Core.Auth;
using Pgproxy.IntegrationTests.Support;
using Pgproxy.Protocol.Auth;
using Pgproxy.TestUtilities.Postgres;
using static Pgproxy.IntegrationTests.Support.AuthNode;

namespace Pgproxy.IntegrationTests.Auth;

/// <summary>Npgsql logs in through pgproxy, which checks the password itself and logs into the node for it.</summary>
[Collection(AuthSuite.Name)]
public sealed class ClientAuthenticationTests(AuthNode cluster) : AuthTestBase(cluster)
{
    private const string ScramHba = "host all all 127.0.0.1/32 scram-sha-256\n";
    private const string Md5Hba = "host all all 127.0.0.1/32 md5\n";

    [PostgresTheory]
    [InlineData(ScramUser, "SCRAM-SHA-256$")]
    [InlineData(PassthroughUser, "SCRAM-SHA-256$")]
    [InlineData(Md5User, "md5")]
    public async Task TheNode_DemandsThePassword_AndStoresThisForm(string user, string storedPrefix)
    {
        var direct = Node.ConnectionString.Replace("Username=postgres", "Username=" + user, StringComparison.Ordinal);
        await using var conn = new NpgsqlConnection(direct + ";Password=wrong");

        var ex = await Assert.ThrowsAsync<PostgresException>(() => conn.OpenAsync());

        Assert.Equal("28P01", ex.SqlState);
        Assert.StartsWith(storedPrefix, await NodeSql.ScalarAsync<string>(Node,
            $"SELECT rolpassword FROM pg_authid WHERE rolname = '{user}'"), StringComparison.Ordinal);
    }

    [PostgresFact]
    public async Task PoolHbaScram_AesEntry_ScramNodeLoggedIntoWithThePassword()
    {
        StartProxy(ScramHba, [AesLine(ScramUser, ScramPassword)]);

        Assert.Equal(ScramUser, await CurrentUserAsync(ScramUser, ScramPassword));
    }

    [PostgresFact]
    public async Task PoolHbaScram_WrongPasswordAndUnknownUser_Same28P01()
    {
        StartProxy(ScramHba, [AesLine(ScramUser, ScramPassword)]);

        var wrong = await LoginFailsAsync(ScramUser, "not it");
        var unknown = await LoginFailsAsync("nobody_here", ScramPassword);

        Assert.Equal("28P01", wrong.SqlState);
        Assert.Equal("28P01", unknown.SqlState);
        Assert.Equal($"password authentication failed for user \"{ScramUser}\"", wrong.MessageText);
        Assert.Equal("password authentication failed for user \"nobody_here\"", unknown.MessageText);
    }

    [PostgresFact]
    public async Task PoolHbaMd5_Md5HashEntry_Md5NodeLoggedIntoWithTheHash()
    {
        StartProxy(Md5Hba, [$"{Md5User}:{Md5Password.HashForPoolPasswd(Md5User, Md5UserPassword)}"]);

        Assert.Equal(Md5User, await CurrentUserAsync(Md5User, Md5UserPassword));
        Assert.Equal("28P01", (await LoginFailsAsync(Md5User, "guess")).SqlState);
    }

    [PostgresFact]
    public async Task PoolHbaScram_NodesOwnVerifierInPoolPasswd_ClientKeyLogsIntoTheNode()
    {
        var verifier = await NodeSql.ScalarAsync<string>(Node,
            $"SELECT rolpassword FROM pg_authid WHERE rolname = '{PassthroughUser}'");
        StartProxy(ScramHba, [$"{PassthroughUser}:{verifier}"]);

        Assert.Equal(PassthroughUser, await CurrentUserAsync(PassthroughUser, PassthroughPassword));
        Assert.Equal("28P01", (await LoginFailsAsync(PassthroughUser, "wrong")).SqlState);
    }

    [PostgresFact]
    public async Task PoolHbaScram_VerifierOfAnotherSalt_ClearErrorNamingUserAndNode()
    {
        StartProxy(ScramHba, [$"{PassthroughUser}:{ScramSha256Server.CreateVerifier(PassthroughPassword)}"]);

        var ex = await LoginFailsAsync(PassthroughUser, PassthroughPassword);

        Assert.Contains("backend node 0", ex.MessageText, StringComparison.Ordinal);
        Assert.Contains(PassthroughUser, ex.MessageText, StringComparison.Ordinal);
    }

    [PostgresFact]
    public async Task PoolHbaMd5_Md5HashForAScramNode_ClearErrorNamingUserAndNode()
    {
        StartProxy(Md5Hba, [$"{ScramUser}:{Md5Password.HashForPoolPasswd(ScramUser, ScramPassword)}"]);

        var ex = await LoginFailsAsync(ScramUser, ScramPassword);

        Assert.Equal("28000", ex.SqlState);
        Assert.Contains($"backend node 0 requires SCRAM-SHA-256 authentication for user \"{ScramUser}\"",
            ex.MessageText, StringComparison.Ordinal);
    }

    [PostgresFact]
    public async Task PoolHbaPassword_TextEntry_ClearTextFromTheClient()
    {
        StartProxy("host all all 127.0.0.1/32 password\n",
            [PoolPasswdFile.FormatLine(ScramUser, PoolPasswdFile.TextSecret(ScramPassword))]);

        Assert.Equal(ScramUser, await CurrentUserAsync(ScramUser, ScramPassword));
    }

    [PostgresFact]
    public async Task RejectLine_28000WithPgpoolText()
    {
        StartProxy($"host all {ScramUser} 127.0.0.1/32 reject\n" + ScramHba, [AesLine(ScramUser, ScramPassword)]);

        var ex = await LoginFailsAsync(ScramUser, ScramPassword);

        Assert.Equal("28000", ex.SqlState);
        Assert.StartsWith($"pool_hba.conf rejects connection for host \"127.0.0.1\", user \"{ScramUser}\"",
            ex.MessageText, StringComparison.Ordinal);
    }

    [PostgresFact]
    public async Task PoolHbaOff_ClientAskedForWhatTheNodeAsks_CheckedAgainstPoolPasswd()
    {
        StartProxy(null,
        [
            AesLine(ScramUser, ScramPassword),
            $"{Md5User}:{Md5Password.HashForPoolPasswd(Md5User, Md5UserPassword)}",
        ]);

        Assert.Equal(ScramUser, await CurrentUserAsync(ScramUser, ScramPassword));
        Assert.Equal(Md5User, await CurrentUserAsync(Md5User, Md5UserPassword));
        Assert.Equal("28P01", (await LoginFailsAsync(ScramUser, "guess")).SqlState);
        // The node demands a password from this user and pool_passwd has none: nobody can let them in.
        Assert.Equal("28P01", (await LoginFailsAsync(PassthroughUser, PassthroughPassword)).SqlState);
        // postgres is trusted by the node, so by pgproxy too.
        Assert.Equal("postgres", await CurrentUserAsync("postgres", ""));
    }

    [PostgresFact]
    public async Task PoolHbaOff_AllowClearText_UserNotInPoolPasswd_TheNodeChecksThePassword()
    {
        StartProxy(null, [], o => o with { AllowClearTextFrontendAuth = true });

        Assert.Equal(PassthroughUser, await CurrentUserAsync(PassthroughUser, PassthroughPassword));
        Assert.Equal("28P01", (await LoginFailsAsync(PassthroughUser, "guess")).SqlState);
    }

    [PostgresFact]
    public async Task Reload_NewPoolPasswdEntry_TakesEffect()
    {
        var proxy = StartProxy(ScramHba, []);
        Assert.Equal("28P01", (await LoginFailsAsync(ScramUser, ScramPassword)).SqlState);

        await File.WriteAllTextAsync(PoolPasswdPath, AesLine(ScramUser, ScramPassword) + "\n");
        proxy.Server.Reload(proxy.Server.Options);

        Assert.Equal(ScramUser, await CurrentUserAsync(ScramUser, ScramPassword));
    }

    [PostgresFact]
    public async Task Reload_BrokenPoolPasswd_RefusedAndTheOldOneStays()
    {
        var proxy = StartProxy(ScramHba, [AesLine(ScramUser, ScramPassword)]);

        await File.WriteAllTextAsync(PoolPasswdPath, "broken line\n");
        var ex = Assert.Throws<Core.Config.ProxyConfigurationException>(() => proxy.Server.Reload(proxy.Server.Options));

        Assert.StartsWith(PoolPasswdPath + ":1:", Assert.Single(ex.Problems), StringComparison.Ordinal);
        Assert.Equal(ScramUser, await CurrentUserAsync(ScramUser, ScramPassword));
    }

    [PostgresFact]
    public async Task ManyLogins_Concurrently_AllSucceed()
    {
        StartProxy(ScramHba, [AesLine(ScramUser, ScramPassword)]);

        var users = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => CurrentUserAsync(ScramUser, ScramPassword)));

        Assert.All(users, u => Assert.Equal(ScramUser, u));
    }

    [PostgresFact]
    public async Task AuthenticatedSession_RunsQueries()
    {
        StartProxy(ScramHba, [AesLine(ScramUser, ScramPassword)]);
        await using var conn = await OpenAsAsync(ScramUser, ScramPassword);

        await using var cmd = new NpgsqlCommand("SELECT sum(g) FROM generate_series(1, 100) g", conn);

        Assert.Equal(5050L, await cmd.ExecuteScalarAsync());
    }
}

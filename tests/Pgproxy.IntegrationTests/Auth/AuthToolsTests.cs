using Pgproxy.IntegrationTests.Support;
using Pgproxy.Protocol.Auth;
using Pgproxy.TestUtilities.Postgres;
using static Pgproxy.IntegrationTests.Support.AuthNode;

namespace Pgproxy.IntegrationTests.Auth;

/// <summary>libpq's tools (psql, pgbench) authenticate through pgproxy with SCRAM and md5.</summary>
[Collection(AuthSuite.Name)]
public sealed class AuthToolsTests(AuthNode cluster) : AuthTestBase(cluster)
{
    [PostgresFact]
    public async Task Psql_Scram_RightPasswordIn_WrongPasswordSame28P01Text()
    {
        var proxy = StartProxy("host all all 127.0.0.1/32 scram-sha-256\n", [AesLine(ScramUser, ScramPassword)]);

        var ok = await PgTools.PsqlAsAsync(proxy.Port, ScramUser, ScramPassword, "postgres", "-Atc", "SELECT current_user");
        var wrong = await PgTools.PsqlAsAsync(proxy.Port, ScramUser, "nope", "postgres", "-Atc", "SELECT 1");
        var unknown = await PgTools.PsqlAsAsync(proxy.Port, "nobody_here", "nope", "postgres", "-Atc", "SELECT 1");

        Assert.True(ok.ExitCode == 0, ok.StdErr);
        Assert.Equal(ScramUser, ok.StdOut.Trim());
        Assert.NotEqual(0, wrong.ExitCode);
        Assert.Contains($"password authentication failed for user \"{ScramUser}\"", wrong.StdErr, StringComparison.Ordinal);
        Assert.Contains("password authentication failed for user \"nobody_here\"", unknown.StdErr, StringComparison.Ordinal);
    }

    [PostgresFact]
    public async Task Psql_Md5()
    {
        var proxy = StartProxy("host all all 127.0.0.1/32 md5\n",
            [$"{Md5User}:{Md5Password.HashForPoolPasswd(Md5User, Md5UserPassword)}"]);

        var ok = await PgTools.PsqlAsAsync(proxy.Port, Md5User, Md5UserPassword, "postgres", "-Atc", "SELECT current_user");

        Assert.True(ok.ExitCode == 0, ok.StdErr);
        Assert.Equal(Md5User, ok.StdOut.Trim());
    }

    [PostgresFact]
    public async Task Pgbench_ScramUser_ReconnectingEveryTransaction()
    {
        var proxy = StartProxy("host all all 127.0.0.1/32 scram-sha-256\n", [AesLine(ScramUser, ScramPassword)]);

        var init = await PgTools.PgbenchAsAsync(proxy.Port, ScramUser, ScramPassword, BenchDatabase, "-i", "-q", "-s", "1");
        var run = await PgTools.PgbenchAsAsync(proxy.Port, ScramUser, ScramPassword, BenchDatabase,
            "-S", "-C", "-c", "4", "-j", "2", "-t", "50", "-n");

        Assert.True(init.ExitCode == 0, init.StdErr);
        Assert.True(run.ExitCode == 0, run.StdErr);
        Assert.Contains("number of transactions actually processed: 200/200", run.StdOut, StringComparison.Ordinal);
    }
}

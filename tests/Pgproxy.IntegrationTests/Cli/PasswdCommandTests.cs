using Pgproxy.Core.Auth;
using Pgproxy.IntegrationTests.Support;
using Pgproxy.Protocol.Auth;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Cli;

/// <summary><c>pgproxy passwd</c> writes entries pgproxy then reads back; no PostgreSQL needed.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")] // checks Unix file modes
public sealed class PasswdCommandTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("pgproxy-passwd-cli-").FullName;

    public PasswdCommandTests()
    {
        File.WriteAllText(Conf, "backend_hostname0 = 'localhost'\npool_passwd = 'pool_passwd'\npool_key = 'key'\n");
        File.WriteAllText(Path.Combine(_folder, "key"), "the key\n");
        File.WriteAllText(PoolPasswdPath, "# kept\nbob:TEXTbobs\n");
    }

    private string Conf => Path.Combine(_folder, "pgproxy.conf");

    private string PoolPasswdPath => Path.Combine(_folder, "pool_passwd");

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Theory]
    [InlineData("aes", "Aes")]
    [InlineData("text", "Text")]
    [InlineData("md5", "Md5")]
    [InlineData("scram", "ScramSha256")]
    public async Task EveryForm_WritesAnEntryThatVerifiesThePassword(string form, string kind)
    {
        var result = await PasswdAsync("pa:ss\\word\n", "-m", form, "-u", "alice");

        Assert.True(result.ExitCode == 0, result.StdErr);
        var text = await File.ReadAllTextAsync(PoolPasswdPath);
        Assert.StartsWith("# kept\nbob:TEXTbobs\nalice:", text, StringComparison.Ordinal);
        var entry = PoolPasswdFile.Parse(text, PoolPasswdPath).Entries.Single(e => e.User == "alice");
        Assert.Equal(kind, entry.Kind.ToString());
        var secret = PoolPasswd.ToSecret(entry, "the key")!;
        Assert.True(secret.VerifyCleartext("alice", "pa:ss\\word"));
        Assert.False(secret.VerifyCleartext("alice", "password"));
    }

    [Fact]
    public async Task SecondRun_ReplacesTheUsersLineOnly_KeepsTheFileMode()
    {
        var mode = File.GetUnixFileMode(PoolPasswdPath);
        await PasswdAsync("first\n", "-m", "text", "-u", "bob");
        var result = await PasswdAsync("second\n", "-m", "text", "-u", "bob");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("# kept\nbob:TEXTsecond\n", await File.ReadAllTextAsync(PoolPasswdPath));
        Assert.Equal(mode, File.GetUnixFileMode(PoolPasswdPath));
    }

    [Fact]
    public async Task NoFileYet_CreatedReadableByTheOwnerOnly()
    {
        File.Delete(PoolPasswdPath);

        var result = await PasswdAsync("pw\n", "-m", "md5", "-u", "alice");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(PoolPasswdPath));
        Assert.Equal($"alice:{Md5Password.HashForPoolPasswd("alice", "pw")}\n", await File.ReadAllTextAsync(PoolPasswdPath));
    }

    [Fact]
    public async Task ScramForm_VerifierOnStdin_IsStoredAsItIs()
    {
        var verifier = ScramSha256Server.CreateVerifier("pencil");

        await PasswdAsync(verifier + "\n", "-m", "scram", "-u", "carol");

        Assert.EndsWith("carol:" + verifier + "\n", await File.ReadAllTextAsync(PoolPasswdPath), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AesWithoutKeyFile_FailsAndWritesNothing()
    {
        File.Delete(Path.Combine(_folder, "key"));

        var result = await PasswdAsync("pw\n", "-u", "alice");

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("no pool key file", result.StdErr, StringComparison.Ordinal);
        Assert.Equal("# kept\nbob:TEXTbobs\n", await File.ReadAllTextAsync(PoolPasswdPath));
    }

    [Fact]
    public async Task EmptyPassword_Refused()
    {
        var result = await PasswdAsync("\n", "-m", "text", "-u", "alice");

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("empty password", result.StdErr, StringComparison.Ordinal);
    }

    private Task<ProcessResult> PasswdAsync(string stdin, params string[] arguments) =>
        ProcessRunner.RunAsync(PgproxyCli.DotnetHost, [PgproxyCli.Dll, "-f", Conf, "passwd", "--stdin", .. arguments],
            PgproxyCli.CommandTimeout, standardInput: stdin);
}

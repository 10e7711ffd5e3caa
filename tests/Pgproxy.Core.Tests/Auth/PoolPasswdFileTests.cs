using Pgproxy.Core.Auth;

namespace Pgproxy.Core.Tests.Auth;

public sealed class PoolPasswdFileTests
{
    private const string File = "/etc/pgproxy/pool_passwd";
    private const string Verifier =
        "SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=:" +
        "wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=";

    [Fact]
    public void Parse_EveryForm_KindAndSecret()
    {
        var result = PoolPasswdFile.Parse($"""
            # comment

            alice:md53175bce1d3201d16594cebf9d7eb3f9d
            bob:{Verifier}
            carol:TEXTs3cret
            dave:AES2kPPdEC43r0C5GKPom0/yQ==
            erin:plain password with spaces 
            fr\:ank:TEXTa\:b\\c
            \#hash:md5isnotahash
            """, File);

        Assert.Empty(result.Errors);
        Assert.Equal(
            [
                new PoolPasswdEntry("alice", PasswordKind.Md5, "md53175bce1d3201d16594cebf9d7eb3f9d", 3),
                new PoolPasswdEntry("bob", PasswordKind.ScramSha256, Verifier, 4),
                new PoolPasswdEntry("carol", PasswordKind.Text, "s3cret", 5),
                new PoolPasswdEntry("dave", PasswordKind.Aes, "2kPPdEC43r0C5GKPom0/yQ==", 6),
                new PoolPasswdEntry("erin", PasswordKind.Text, "plain password with spaces ", 7),
                new PoolPasswdEntry("fr:ank", PasswordKind.Text, "a:b\\c", 8),
                new PoolPasswdEntry("#hash", PasswordKind.Text, "md5isnotahash", 9),
            ],
            result.Entries);
    }

    [Fact]
    public void Load_Sample_OneMd5EntryForPostgres()
    {
        var result = PoolPasswdFile.Load(Config.RepoRoot.File("conf/pool_passwd.sample"));

        Assert.Empty(result.Errors);
        var entry = Assert.Single(result.Entries);
        Assert.Equal(("postgres", PasswordKind.Md5), (entry.User, entry.Kind));
        Assert.True(PoolPasswd.ToSecret(entry, null)!.VerifyCleartext("postgres", "postgres"));
    }

    [Fact]
    public void Parse_CrLfLines_AreAccepted()
    {
        var result = PoolPasswdFile.Parse("alice:TEXTx\r\nbob:TEXTy\r\n", File);
        Assert.Empty(result.Errors);
        Assert.Equal(["x", "y"], result.Entries.Select(e => e.Secret));
    }

    [Theory]
    [InlineData("alice", "missing ':' between user name and password")]
    [InlineData(":TEXTx", "empty user name")]
    [InlineData("alice:", "empty password for user \"alice\"")]
    [InlineData("alice:TEXT", "empty password for user \"alice\"")]
    [InlineData("alice:md5zz75bce1d3201d16594cebf9d7eb3f9d", "malformed md5 hash for user \"alice\"")]
    [InlineData("alice:SCRAM-SHA-256$4096:abc", "malformed SCRAM-SHA-256 verifier for user \"alice\"")]
    [InlineData("alice:AES", "malformed AES password for user \"alice\"")]
    [InlineData("alice:AES***", "malformed AES password for user \"alice\"")]
    [InlineData("alice:pw:backend:pw2", "unescaped ':' in the password of user \"alice\"")]
    public void Parse_BadLine_ErrorNamesFileAndLine(string line, string message)
    {
        var result = PoolPasswdFile.Parse("# first\nok:TEXTfine\n" + line + "\n", File);

        var error = Assert.Single(result.Errors);
        Assert.Equal(3, error.Line);
        Assert.StartsWith($"{File}:3: {message}", error.ToString(), StringComparison.Ordinal);
        Assert.Equal("ok", Assert.Single(result.Entries).User);
    }

    [Fact]
    public void Parse_DuplicateUser_IsAnErrorOnTheSecondLine()
    {
        var result = PoolPasswdFile.Parse("alice:TEXTa\nbob:TEXTb\nalice:TEXTc\n", File);

        var error = Assert.Single(result.Errors);
        Assert.Equal($"{File}:3: user \"alice\" already has an entry on line 1", error.ToString());
    }

    [Fact]
    public void Load_MissingFile_NoEntriesNoErrors()
    {
        var result = PoolPasswdFile.Load("/nonexistent/pgproxy/pool_passwd");
        Assert.True(result.Succeeded);
        Assert.Empty(result.Entries);
    }

    [Fact]
    public void Upsert_ReplacesTheUsersLineAndKeepsTheRest()
    {
        const string text = "# keep me\nalice:TEXTold\nbad line\nbob:TEXTb\n";

        var replaced = PoolPasswdFile.Upsert(text, "alice", "alice:TEXTnew");
        var appended = PoolPasswdFile.Upsert(text, "carol", "carol:TEXTc");

        Assert.Equal("# keep me\nalice:TEXTnew\nbad line\nbob:TEXTb\n", replaced);
        Assert.Equal(text + "carol:TEXTc\n", appended);
        Assert.Equal("carol:TEXTc\n", PoolPasswdFile.Upsert("", "carol", "carol:TEXTc"));
    }

    [Theory]
    [InlineData("fr:ank", "a:b\\c")]
    [InlineData("#hash", "#x")]
    [InlineData("plain", "TEXT")]
    public void FormatLine_TextSecret_ParsesBackToTheSameUserAndPassword(string user, string password)
    {
        var line = PoolPasswdFile.FormatLine(user, PoolPasswdFile.TextSecret(password));

        var entry = Assert.Single(PoolPasswdFile.Parse(line, File).Entries);
        Assert.Equal(user, entry.User);
        Assert.Equal(PasswordKind.Text, entry.Kind);
        Assert.Equal(password, entry.Secret);
    }
}

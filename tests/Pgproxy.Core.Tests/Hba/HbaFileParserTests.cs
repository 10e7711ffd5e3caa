using Pgproxy.Core.Hba;
using Pgproxy.Core.Tests.Config;

namespace Pgproxy.Core.Tests.Hba;

public sealed class HbaFileParserTests
{
    private const string File = "/etc/pgproxy/pool_hba.conf";

    [Fact]
    public void Parse_Sample_TrustOnThisHostScramElsewhere()
    {
        var result = HbaFileParser.Load(RepoRoot.File("pool_hba.conf.sample"));

        Assert.Empty(result.Errors);
        Assert.Equal([HbaConnectionType.Local, HbaConnectionType.Host, HbaConnectionType.Host,
                HbaConnectionType.Local, HbaConnectionType.Host, HbaConnectionType.Host,
                HbaConnectionType.Host, HbaConnectionType.Host],
            result.Rules.Select(r => r.Type));
        Assert.Equal(["all", "all", "all", "replication", "replication", "replication", "all", "all"],
            result.Rules.Select(r => string.Join(',', r.Databases)));
        Assert.Equal([null, "127.0.0.1/32", "::1/128", null, "127.0.0.1/32", "::1/128", "0.0.0.0/0", "::/0"],
            result.Rules.Select(r => r.Address));
        Assert.Equal(["trust", "trust", "trust", "trust", "trust", "trust", "scram-sha-256", "scram-sha-256"],
            result.Rules.Select(r => r.Method));
    }

    [Fact]
    public void Parse_FullRecord_AllFields()
    {
        var result = HbaFileParser.Parse(
            "\n# comment\nhostssl  app,\"all\" , reporting  alice,bob  10.0.0.0/8  ldap ldapserver=ldap.local "
            + "ldapport=389 # trailing\n",
            File);

        Assert.Empty(result.Errors);
        var rule = Assert.Single(result.Rules);
        Assert.Equal(3, rule.Line);
        Assert.Equal(HbaConnectionType.HostSsl, rule.Type);
        Assert.Equal(["app", "\"all\"", "reporting"], rule.Databases);
        Assert.Equal(["alice", "bob"], rule.Users);
        Assert.Equal("10.0.0.0/8", rule.Address);
        Assert.Equal("ldap", rule.Method);
        Assert.Equal("ldap.local", rule.Options["ldapserver"]);
        Assert.Equal("389", rule.Options["ldapport"]);
    }

    [Theory]
    [InlineData("host all all 192.168.1.0 255.255.255.0 md5", "192.168.1.0/24")]
    [InlineData("host all all 10.1.2.3/32 md5", "10.1.2.3/32")]
    [InlineData("host all all fe80::1 ffff:ffff:ffff:ffff:: md5", "fe80::1/64")]
    [InlineData("host all all samenet md5", "samenet")]
    [InlineData("host all all SameHost md5", "samehost")]
    [InlineData("host all all all md5", "all")]
    [InlineData("host all all .example.com md5", ".example.com")]
    [InlineData("hostnossl all all db-client1 scram-sha-256", "db-client1")]
    public void Parse_AddressForms_Normalized(string line, string address)
    {
        var result = HbaFileParser.Parse(line, File);

        Assert.Empty(result.Errors);
        Assert.Equal(address, Assert.Single(result.Rules).Address);
    }

    [Theory]
    [InlineData("hostgssenc all all 10.0.0.0/8 md5", "invalid connection type")]
    [InlineData("local", "end-of-line before database specification")]
    [InlineData("local all", "end-of-line before user specification")]
    [InlineData("local all all", "end-of-line before authentication method")]
    [InlineData("host all all", "end-of-line before IP address specification")]
    [InlineData("host all all 10.0.0.1 md5", "invalid IP mask \"md5\"")]
    [InlineData("host all all 10.0.0.1", "end-of-line before netmask")]
    [InlineData("host all all 10.0.0.0 255.0.255.0 md5", "invalid IP mask")]
    [InlineData("host all all 10.0.0.0/33 md5", "invalid CIDR mask")]
    [InlineData("host all all 300.0.0.0/8 md5", "invalid IP address")]
    [InlineData("host all all 10.0.0.0/8 ident", "invalid authentication method \"ident\"")]
    [InlineData("host all all 10.0.0.0/8 cert", "only supported on hostssl")]
    [InlineData("local @dbs.txt all trust", "@file includes are not supported")]
    [InlineData("local all @users trust", "@file includes are not supported")]
    [InlineData("local all +admins trust", "does not know roles")]
    [InlineData("local samerole all trust", "does not know roles")]
    [InlineData("local \"all trust", "unterminated quoted string")]
    [InlineData("local a,,b all trust", "empty entry")]
    [InlineData("local all all pam pamservice", "name=value")]
    [InlineData("local all all trust,md5", "multiple values in authentication method")]
    public void Parse_BadRecord_ErrorWithFileAndLine(string line, string message)
    {
        var result = HbaFileParser.Parse("# header\n" + line + "\n", File);

        Assert.Empty(result.Rules);
        var error = Assert.Single(result.Errors);
        Assert.Equal((File, 2), (error.File, error.Line));
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
        Assert.StartsWith($"{File}:2: ", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_SeveralBadRecords_AllReportedGoodOnesKept()
    {
        var text = "local all all trust\nlocal all all ident\nhost all all 127.0.0.1/32 trust\nbogus\n";

        var result = HbaFileParser.Parse(text, File);

        Assert.Equal([2, 4], result.Errors.Select(e => e.Line));
        Assert.Equal([1, 3], result.Rules.Select(r => r.Line));
    }

    [Fact]
    public void Parse_QuotedNames_KeepSpacesAndQuotes()
    {
        var result = HbaFileParser.Parse("local \"my db\",\"say \"\"hi\"\"\" sameuser md5\n", File);

        var rule = Assert.Single(result.Rules);
        Assert.Equal(["my db", "say \"hi\""], rule.Databases);
        Assert.Equal(["sameuser"], rule.Users);
    }

    [Fact]
    public void Parse_LineContinuation_JoinsRecord()
    {
        var result = HbaFileParser.Parse("host all all \\\n  127.0.0.1/32 trust\n", File);

        Assert.Empty(result.Errors);
        Assert.Equal("127.0.0.1/32", Assert.Single(result.Rules).Address);
    }

    [Fact]
    public void Load_MissingFile_ErrorOnLineZero()
    {
        var result = HbaFileParser.Load("/nonexistent/pgproxy/pool_hba.conf");

        var error = Assert.Single(result.Errors);
        Assert.Equal(0, error.Line);
    }
}

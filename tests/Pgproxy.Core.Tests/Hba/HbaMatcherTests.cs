using System.Net;
using Pgproxy.Core.Hba;

namespace Pgproxy.Core.Tests.Hba;

public sealed class HbaMatcherTests
{
    private static readonly IReadOnlyList<HbaRule> Rules = HbaFileParser.Parse("""
        local   all          all                 trust
        host    "all"        bob   all           reject
        hostssl sales        all   10.0.0.0/8    scram-sha-256
        host    sameuser     all   10.1.0.0 255.255.0.0 md5
        host    all          all   127.0.0.1/32  password
        """, "pool_hba.conf").Rules;

    [Theory]
    [InlineData(true, false, "any", "any", null, 1)]
    [InlineData(false, false, "all", "bob", "192.168.1.1", 2)]
    [InlineData(false, true, "sales", "eve", "10.9.9.9", 3)]
    [InlineData(false, false, "eve", "eve", "10.1.2.3", 4)]
    [InlineData(false, false, "eve", "eve", "::ffff:10.1.2.3", 4)]
    [InlineData(false, false, "app", "eve", "127.0.0.1", 5)]
    [InlineData(false, false, "sales", "eve", "10.9.9.9", 0)]
    [InlineData(false, false, "app", "eve", "10.1.2.3", 0)]
    public void Match_Client_FirstMatchingLineOrNone(
        bool isLocal, bool isSsl, string database, string user, string? address, int line)
    {
        var rule = HbaMatcher.Match(Rules, isLocal, isSsl, database, user,
            address is null ? null : IPAddress.Parse(address));

        Assert.Equal(line, rule?.Line ?? 0);
    }

    private static readonly IReadOnlyList<HbaRule> ReplicationRules = HbaFileParser.Parse("""
        host    replication  repl  127.0.0.1/32  scram-sha-256
        host    "replication" all  127.0.0.1/32  md5
        host    all          all   127.0.0.1/32  trust
        """, "pool_hba.conf").Rules;

    [Theory]
    // Physical: only the replication keyword, never all, nor a database literally named replication.
    [InlineData(WalSenderKind.Physical, "repl", "anything", 1)]
    [InlineData(WalSenderKind.Physical, "eve", "replication", 0)]
    // Logical: like an ordinary session, by database name or all, never by the keyword.
    [InlineData(WalSenderKind.Logical, "repl", "app", 3)]
    [InlineData(WalSenderKind.Logical, "eve", "replication", 2)]
    [InlineData(WalSenderKind.None, "repl", "app", 3)]
    public void Match_ReplicationConnection_ReadsTheDatabaseFieldAsPostgresDoes(WalSenderKind walSender,
        string user, string database, int line)
    {
        var rule = HbaMatcher.Match(ReplicationRules, isLocal: false, isSsl: false, database, user,
            IPAddress.Loopback, walSender);

        Assert.Equal(line, rule?.Line ?? 0);
    }

    [Theory]
    [InlineData("10.1.2.3", "10.0.0.0", 8, true)]
    [InlineData("11.1.2.3", "10.0.0.0", 8, false)]
    [InlineData("10.1.2.3", "10.1.2.0", 23, true)]
    [InlineData("10.1.4.3", "10.1.2.0", 23, false)]
    [InlineData("::1", "::1", 128, true)]
    [InlineData("10.1.2.3", "::", 0, false)]
    public void InNetwork_Address_ComparesPrefixBits(string client, string network, int bits, bool inside) =>
        Assert.Equal(inside, HbaMatcher.InNetwork(IPAddress.Parse(client), IPAddress.Parse(network), bits));
}

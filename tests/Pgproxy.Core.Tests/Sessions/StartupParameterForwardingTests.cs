using System.Text;
using Pgproxy.Protocol.Framing;
using Pgproxy.TestUtilities.Scripted;

namespace Pgproxy.Core.Tests.Sessions;

/// <summary>
/// Issue 11 §1: what a client puts in its startup parameters reaches the node byte for byte and can never become
/// another parameter. pgproxy once joined the pairs with 0x01 and split them again, so an application_name of
/// "x\x01user=postgres" logged a client verified as alice into the nodes as postgres.
/// </summary>
public sealed class StartupParameterForwardingTests
{
    public static TheoryData<string, string> Injections => new()
    {
        { "user", "postgres" },
        { "database", "postgres" },
        { "options", "-c default_transaction_read_only=off" },
        { "replication", "database" },
        { "_pq_.protocol_managed_params", "on" },
    };

    [Theory]
    [MemberData(nameof(Injections))]
    public async Task ParameterSmuggledInAValue_ReachesTheNodeAsThatValueOnly(string name, string value)
    {
        await using var harness = new ProxyHarness();
        var smuggled = $"x\u0001{name}={value}";
        var (client, startup) = await harness.ConnectAndStartAsync("alice", "app", ("application_name", smuggled));
        await using var _ = client;

        Assert.Equal('Z', startup[^1].Type);
        var received = harness.Connector.Single.Startup!;
        Assert.Equal("alice", received.User);
        Assert.Equal("app", received.Database);
        Assert.Equal(smuggled, received.GetParameter("application_name"));
        Assert.Equal(["user", "database", "application_name"], received.Parameters.Select(p => p.Name));
    }

    [Theory]
    [InlineData("a\u0001b")]         // the separator without '=' once gave XX000 "length ('-1')"
    [InlineData("\u0001")]
    [InlineData("=\u0001=")]
    [InlineData("")]
    public async Task SeparatorLikeValues_StartTheSessionAndArriveUnchanged(string value)
    {
        await using var harness = new ProxyHarness();
        var (client, startup) = await harness.ConnectAndStartAsync("alice", "app", ("application_name", value));
        await using var _ = client;

        Assert.DoesNotContain(startup, m => m.Type == 'E');
        Assert.Equal(value, harness.Connector.Single.Startup!.GetParameter("application_name"));
    }

    [Fact]
    public async Task EveryByte_InNamesAndValues_ReachesTheNodeUnchanged()
    {
        // Every byte a parameter can hold (all but NUL), in a name and in a value, invalid UTF-8 included.
        var all = Enumerable.Range(1, 255).Select(b => (byte)b).ToArray();
        var sent = new List<StartupParameter>
        {
            StartupParameter.FromStrings("user", "alice"),
            StartupParameter.FromStrings("database", "app"),
        };
        for (var start = 0; start < all.Length; start += 32)
        {
            var chunk = all.AsSpan(start, Math.Min(32, all.Length - start)).ToArray();
            sent.Add(new StartupParameter([(byte)'n', .. chunk], [(byte)'v', .. chunk]));
        }

        sent.Add(new StartupParameter("application_name"u8.ToArray(), all));
        await using var harness = new ProxyHarness();
        await using var client = harness.Connect();
        await client.SendStartupParametersAsync(sent);
        var startup = await client.ReadUntilReadyForQueryAsync();

        Assert.DoesNotContain(startup, m => m.Type == 'E');
        AssertForwardedAsSent(sent, harness.Connector.Single.Startup!);
    }

    [Fact]
    public async Task RandomParameters_WhatTheNodeReceivesEqualsWhatTheClientSent()
    {
        var random = new Random(1104);
        for (var round = 0; round < 40; round++)
        {
            var sent = new List<StartupParameter>
            {
                StartupParameter.FromStrings("user", "alice"),
                StartupParameter.FromStrings("database", "app"),
            };
            for (var i = random.Next(0, 8); i > 0; i--)
            {
                // Repeated names (first character from a small set) check that a repeated name keeps its order.
                var name = RandomBytes(random, 1, 12);
                name[0] = (byte)"abcx"[random.Next(4)];
                sent.Add(new StartupParameter(name, RandomBytes(random, 0, 40)));
            }

            await using var harness = new ProxyHarness();
            await using var client = harness.Connect();
            await client.SendStartupParametersAsync(sent);
            var startup = await client.ReadUntilReadyForQueryAsync();

            Assert.True(startup.All(m => m.Type != 'E'), $"round {round}: startup refused");
            AssertForwardedAsSent(sent, harness.Connector.Single.Startup!);
        }
    }

    [Theory]
    [InlineData("database")]
    [InlineData("true")]
    [InlineData("On")]
    [InlineData("Y")]
    [InlineData("1")]
    public async Task ReplicationConnection_GetsAWalSenderOfItsOwnWithTheValueAsSent(string value)
    {
        await using var harness = new ProxyHarness(configure: o => o with { MaxPool = 4 });
        var (client, startup) = await harness.ConnectAndStartAsync("alice", "app", ("replication", value));

        Assert.Equal('Z', startup[^1].Type);
        Assert.Equal(value, harness.Connector.Single.Startup!.GetParameter("replication"));
        await client.DisposeAsync();
        await client.Session.WaitAsync(RawClient.Timeout);

        // Never cached, so never handed to anyone else: the next replication client gets a new walsender.
        Assert.Equal(0, harness.Runtime.Pool.IdleCount);
        var (again, _) = await harness.ConnectAndStartAsync("alice", "app", ("replication", value));
        await using var __ = again;
        Assert.Equal(2, harness.Connector.ConnectCount);
    }

    [Theory]
    [InlineData("Database")]
    [InlineData("o")]
    [InlineData("")]
    [InlineData("2")]
    public async Task ReplicationValuePostgresRefuses_Is22023BeforeAnyNodeIsAsked(string value)
    {
        await using var harness = new ProxyHarness();
        await using var client = harness.Connect();
        await client.SendStartupAsync("alice", "app", ("replication", value));
        var replies = await client.ReadToEndAsync();

        var error = Assert.Single(replies);
        Assert.Equal("22023", error.SqlState);
        Assert.Equal(0, harness.Connector.ConnectCount);
    }

    [Theory]
    [InlineData("false")]
    [InlineData("off")]
    [InlineData("OF")]
    [InlineData("no")]
    [InlineData("f")]
    [InlineData("0")]
    public async Task ReplicationFalse_IsForwardedAsSent(string value)
    {
        await using var harness = new ProxyHarness();
        var (client, startup) = await harness.ConnectAndStartAsync("alice", "app", ("replication", value));
        await using var _ = client;

        Assert.Equal('Z', startup[^1].Type);
        Assert.Equal(value, harness.Connector.Single.Startup!.GetParameter("replication"));
    }

    [Fact]
    public async Task UserNotValidUtf8_Is08P01()
    {
        await using var harness = new ProxyHarness();
        await using var client = harness.Connect();
        await client.SendStartupParametersAsync(
        [
            new StartupParameter("user"u8.ToArray(), [(byte)'a', 0xC3, 0x28]),
            StartupParameter.FromStrings("database", "app"),
        ]);
        var replies = await client.ReadToEndAsync();

        var error = Assert.Single(replies);
        Assert.Equal("08P01", error.SqlState);
        Assert.Equal(0, harness.Connector.ConnectCount);
    }

    /// <summary>
    /// The node gets user and database once, then every other pair the client sent, bytes unchanged, in name order
    /// with repeated names in the client's order (so PostgreSQL applies the same last value).
    /// </summary>
    private static void AssertForwardedAsSent(IReadOnlyList<StartupParameter> sent, StartupPacket received)
    {
        Assert.Equal("user", received.Parameters[0].Name);
        Assert.Equal(sent.Last(p => p.Name == "user"), received.Parameters[0], StartupParameterBytes.Instance);
        Assert.Equal("database", received.Parameters[1].Name);
        var others = sent.Where(p => p.Name is not ("user" or "database")).ToList();
        var expected = others.OrderBy(p => p.NameBytes.ToArray(), ByteArrayOrder.Instance).ToList();
        Assert.Equal(expected, received.Parameters.Skip(2));
        foreach (var group in others.GroupBy(p => Convert.ToHexString(p.NameBytes)))
        {
            Assert.Equal(group, received.Parameters.Where(p => Convert.ToHexString(p.NameBytes) == group.Key));
        }
    }

    private static byte[] RandomBytes(Random random, int min, int max)
    {
        var bytes = new byte[random.Next(min, max + 1)];
        for (var i = 0; i < bytes.Length; i++)
        {
            bytes[i] = (byte)random.Next(1, 256);
        }

        return bytes;
    }

    private sealed class ByteArrayOrder : IComparer<byte[]>
    {
        public static readonly ByteArrayOrder Instance = new();

        public int Compare(byte[]? x, byte[]? y) => x.AsSpan().SequenceCompareTo(y);
    }

    private sealed class StartupParameterBytes : IEqualityComparer<StartupParameter>
    {
        public static readonly StartupParameterBytes Instance = new();

        public bool Equals(StartupParameter? x, StartupParameter? y) =>
            x is not null && y is not null && x.ValueBytes.SequenceEqual(y.ValueBytes);

        public int GetHashCode(StartupParameter obj) => Encoding.Latin1.GetString(obj.ValueBytes).GetHashCode();
    }
}

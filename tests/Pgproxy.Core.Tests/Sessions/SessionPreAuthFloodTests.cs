using System.Net;
using Pgproxy.Core.Auth;
using Pgproxy.Core.Config;
using Pgproxy.Core.Hba;
using Pgproxy.Protocol.Auth;
using Pgproxy.Protocol.Backend;
using Pgproxy.Protocol.Messages;
using Pgproxy.Protocol.Writing;
using Pgproxy.TestUtilities;
using Pgproxy.TestUtilities.Scripted;

namespace Pgproxy.Core.Tests.Sessions;

/// <summary>
/// Issue 11 item 2: connections that have not authenticated cannot lock real clients out. They hold no client
/// slot, the oldest of them is dropped when a bound is reached, one address has a bound of its own, and
/// authentication_timeout counts from the accept; each one dropped is told why.
/// </summary>
public sealed class SessionPreAuthFloodTests
{
    private static readonly IPAddress Attacker = IPAddress.Parse("192.0.2.1");
    private static readonly IPAddress Elsewhere = IPAddress.Parse("198.51.100.7");

    [Fact]
    public async Task AuthenticatingBoundReached_OldestDroppedWith53300_NewcomerLogsIn()
    {
        await using var harness = Harness(o => o with { MaxAuthenticatingConnections = 2 });
        var (session, _) = await LogInAsync(harness);
        await using var __ = session;
        await using var oldest = harness.Connect();
        await WaitUntilAsync(() => harness.Runtime.Authenticating.Count == 1);
        await using var younger = await StartAsync(harness); // mid-exchange: asked for its password
        await ExpectAuthenticationAsync(younger, AuthenticationCode.Md5Password);
        Assert.Equal(2, harness.Runtime.Authenticating.Count);

        var (newcomer, startup) = await LogInAsync(harness);
        await using var ___ = newcomer;

        Assert.Equal(AuthenticationCode.Ok, startup[0].Int32At(0));
        await ExpectFatalAsync(oldest, SqlState.TooManyConnections,
            "too many connections still authenticating (max_authenticating_connections = 2)");
        Assert.False(younger.Session.IsCompleted);
        Assert.Equal(1, harness.Runtime.Authenticating.Count);
        await session.SendQueryAsync("SELECT 1");
        Assert.Equal('Z', (await session.ReadUntilReadyForQueryAsync())[^1].Type);
    }

    [Fact]
    public async Task AuthenticatingBoundReached_MidExchangeOldestIsTheOneTold()
    {
        await using var harness = Harness(o => o with { MaxAuthenticatingConnections = 2 });
        await using var oldest = await StartAsync(harness);
        await ExpectAuthenticationAsync(oldest, AuthenticationCode.Md5Password);
        await using var younger = harness.Connect();
        await WaitUntilAsync(() => harness.Runtime.Authenticating.Count == 2);

        await using var newcomer = harness.Connect();

        await ExpectFatalAsync(oldest, SqlState.TooManyConnections,
            "too many connections still authenticating (max_authenticating_connections = 2)");
        Assert.False(younger.Session.IsCompleted);
        Assert.False(newcomer.Session.IsCompleted);
    }

    [Fact]
    public async Task PerAddressBound_OldestFromThatAddressDropped_OthersUntouched()
    {
        await using var harness = Harness(o => o with
        {
            MaxAuthenticatingConnections = 10,
            MaxAuthenticatingConnectionsPerAddress = 2,
        });
        await using var first = harness.Connect(Attacker);
        await WaitUntilAsync(() => harness.Runtime.Authenticating.Count == 1);
        await using var second = harness.Connect(Attacker);
        await using var bystander = harness.Connect(Elsewhere);
        await WaitUntilAsync(() => harness.Runtime.Authenticating.Count == 3);

        await using var third = harness.Connect(Attacker);

        await ExpectFatalAsync(first, SqlState.TooManyConnections,
            "too many connections from 192.0.2.1 still authenticating " +
            "(max_authenticating_connections_per_address = 2)");
        Assert.False(second.Session.IsCompleted);
        Assert.False(bystander.Session.IsCompleted);
        Assert.Equal(2, harness.Runtime.Authenticating.CountFrom(Attacker));
        var (elsewhere, startup) = await LogInAsync(harness, Elsewhere);
        await using var _ = elsewhere;
        Assert.Equal(AuthenticationCode.Ok, startup[0].Int32At(0));
        Assert.False(second.Session.IsCompleted);
    }

    [Fact]
    public async Task PerAddressBound_DefaultIsHalfTheOverallBound()
    {
        await using var harness = Harness(o => o with { MaxAuthenticatingConnections = 6 });
        var clients = new List<RawClient>();
        for (var i = 0; i < 3; i++)
        {
            clients.Add(harness.Connect(Attacker));
            await WaitUntilAsync(() => harness.Runtime.Authenticating.CountFrom(Attacker) == clients.Count);
        }

        clients.Add(harness.Connect(Attacker));

        await ExpectFatalAsync(clients[0], SqlState.TooManyConnections,
            "too many connections from 192.0.2.1 still authenticating " +
            "(max_authenticating_connections_per_address = 3)");
        foreach (var client in clients)
        {
            await client.DisposeAsync();
        }
    }

    [Fact]
    public async Task ClientSlot_TakenOnlyOnceAuthenticated()
    {
        // One client slot; connections that never finish authenticating must not hold it.
        await using var harness = Harness(o => o with { NumInitChildren = 1, MaxAuthenticatingConnections = 8 });
        await using var silent = harness.Connect();
        await using var stalled = await StartAsync(harness);
        await ExpectAuthenticationAsync(stalled, AuthenticationCode.Md5Password);
        Assert.Equal(0, harness.Runtime.Sessions.Count);

        var (first, startup) = await LogInAsync(harness);
        await using var _ = first;
        Assert.Equal(AuthenticationCode.Ok, startup[0].Int32At(0));
        Assert.Equal(1, harness.Runtime.Sessions.Count);

        // The slots are full now: the next client is refused, after it has proven who it is.
        await using var second = await StartAsync(harness);
        var salt = await ExpectAuthenticationAsync(second, AuthenticationCode.Md5Password);
        await SendPasswordAsync(second, Md5Password.Compute("alice", "s3cret", salt));
        await ExpectFatalAsync(second, SqlState.TooManyConnections, "sorry, too many clients already");
        Assert.False(stalled.Session.IsCompleted);
    }

    [Fact]
    public async Task SilentClient_AuthenticationTimeoutFromAccept_08P01()
    {
        var clock = new ManualTimeProvider();
        await using var harness = Harness(o => o with { AuthenticationTimeout = 10 }, clock);
        await using var silent = harness.Connect();
        await WaitUntilAsync(() => harness.Runtime.Authenticating.Count == 1);

        clock.Advance(TimeSpan.FromSeconds(10));

        await ExpectFatalAsync(silent, SqlState.ProtocolViolation,
            "canceling authentication due to timeout (authentication_timeout = 10 s)");
        Assert.Equal(0, harness.Runtime.Authenticating.Count);
    }

    [Fact]
    public async Task SlowStartupPacket_AuthenticationTimeoutCountsTheWaitBeforeIt()
    {
        var clock = new ManualTimeProvider();
        await using var harness = Harness(o => o with { AuthenticationTimeout = 10 }, clock);
        await using var slow = harness.Connect();
        await WaitUntilAsync(() => harness.Runtime.Authenticating.Count == 1);
        clock.Advance(TimeSpan.FromSeconds(6));
        await slow.SendStartupAsync("alice", "app");
        await ExpectAuthenticationAsync(slow, AuthenticationCode.Md5Password);

        clock.Advance(TimeSpan.FromSeconds(4)); // 10 s since the accept, 4 s since the startup packet

        await ExpectFatalAsync(slow, SqlState.ProtocolViolation,
            "canceling authentication due to timeout (authentication_timeout = 10 s)");
    }

    [Fact]
    public async Task AuthenticatedSession_NotCutByAuthenticationTimeoutLater()
    {
        var clock = new ManualTimeProvider();
        await using var harness = Harness(o => o with { AuthenticationTimeout = 10 }, clock);
        var (session, _) = await LogInAsync(harness);
        await using var __ = session;

        clock.Advance(TimeSpan.FromSeconds(60));

        await session.SendQueryAsync("SELECT 1");
        Assert.Equal('Z', (await session.ReadUntilReadyForQueryAsync())[^1].Type);
        Assert.Equal(0, clock.PendingTimers);
    }

    [Fact]
    public async Task FastShutdown_WhileAuthenticating_57P01()
    {
        var harness = Harness();
        await using var client = await StartAsync(harness);
        await ExpectAuthenticationAsync(client, AuthenticationCode.Md5Password);

        await harness.DisposeAsync();

        await ExpectFatalAsync(client, SqlState.AdminShutdown, "terminating connection due to administrator command");
    }

    private static ProxyHarness Harness(Func<ProxyOptions, ProxyOptions>? configure = null, TimeProvider? time = null)
    {
        var harness = new ProxyHarness(configure: configure, time: time);
        harness.Runtime.PoolPasswd = PoolPasswd.FromText("alice:TEXTs3cret");
        harness.Runtime.HbaRules = HbaFileParser.Parse("local all all md5\nhost all all 0.0.0.0/0 md5",
            "pool_hba.conf").Rules;
        return harness;
    }

    private static async Task<RawClient> StartAsync(ProxyHarness harness, IPAddress? from = null)
    {
        var client = harness.Connect(from);
        await client.SendStartupAsync("alice", "app");
        return client;
    }

    private static async Task<(RawClient Client, IReadOnlyList<BackendMessage> Startup)> LogInAsync(
        ProxyHarness harness, IPAddress? from = null)
    {
        var client = await StartAsync(harness, from);
        var salt = await ExpectAuthenticationAsync(client, AuthenticationCode.Md5Password);
        await SendPasswordAsync(client, Md5Password.Compute("alice", "s3cret", salt));
        return (client, await client.ReadUntilReadyForQueryAsync());
    }

    private static async Task<byte[]> ExpectAuthenticationAsync(RawClient client, int code)
    {
        var message = await client.ReadMessageAsync();
        Assert.NotNull(message);
        Assert.True(message.Type == 'R', $"expected an AuthenticationRequest, got {message} {Describe(message)}");
        Assert.Equal(code, message.Int32At(0));
        return message.Body[4..].ToArray();
    }

    private static async Task ExpectFatalAsync(RawClient client, string sqlState, string message)
    {
        var messages = await client.ReadToEndAsync();
        var error = Assert.Single(messages);
        Assert.Equal('E', error.Type);
        Assert.Equal((sqlState, message), (error.SqlState, Describe(error)));
        await client.WaitForSessionEndAsync();
    }

    private static Task SendPasswordAsync(RawClient client, string password)
    {
        var writer = new System.Buffers.ArrayBufferWriter<byte>();
        FrontendMessageWriter.WritePasswordMessage(writer, password);
        return client.SendAsync(writer.WrittenMemory.ToArray());
    }

    private static string Describe(BackendMessage message) =>
        message.Type == 'E' ? ErrorResponseMessage.Parse(message.Body).Message ?? "" : "";

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met within 10 s");
            await Task.Delay(10);
        }
    }
}

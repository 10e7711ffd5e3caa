using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;
using Npgsql;
using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Postgres;
using static Pgproxy.IntegrationTests.Support.AuthNode;

namespace Pgproxy.IntegrationTests.Auth;

/// <summary>
/// reliability.md §6 seeds for the authentication phase, over a raw socket: each gets a clean error and the
/// connection is closed, while an authenticated client next to it keeps working.
/// </summary>
[Collection(AuthSuite.Name)]
public sealed class AuthAbuseTests(AuthNode cluster) : AuthTestBase(cluster)
{
    private const string ScramHba = "host all all 127.0.0.1/32 scram-sha-256\n";

    public static TheoryData<string, byte[]> BadSaslInitialResponses => new()
    {
        { "data length 0xFFFFFFFF followed by data (CVE-2026-6664)", SaslInitial("SCRAM-SHA-256", -1, "n,,n=,r=abc"u8) },
        { "data length beyond the message", SaslInitial("SCRAM-SHA-256", 100_000, "n,,n=,r=abc"u8) },
        { "mechanism not offered", SaslInitial("SCRAM-SHA-1", 11, "n,,n=,r=abc"u8) },
        { "no client-first-message", SaslInitial("SCRAM-SHA-256", -1, []) },
        { "garbage client-first-message", SaslInitial("SCRAM-SHA-256", 5, "\u0001\u0002xyz"u8) },
        { "channel binding the proxy did not offer", SaslInitial("SCRAM-SHA-256", 32, "p=tls-server-end-point,,n=,r=abc"u8) },
        { "message length 2", [(byte)'p', 0, 0, 0, 2] },
        { "message length 1 MB", [(byte)'p', 0, 0x10, 0, 0] },
        { "a Query instead of a password", RawPgClient.Query("SELECT 1") },
    };

    [PostgresTheory]
    [MemberData(nameof(BadSaslInitialResponses))]
    public async Task BadSaslInitialResponse_08P01_OthersUnaffected(string what, byte[] message)
    {
        StartProxy(ScramHba, [AesLine(ScramUser, ScramPassword)]);
        await using var bystander = await OpenAsAsync(ScramUser, ScramPassword);
        await using var raw = await StartScramAsync();

        await raw.SendAsync(message);

        await ExpectFatalAsync(raw, "08P01", what);
        await ExpectStillServingAsync(bystander);
    }

    [PostgresTheory]
    [InlineData("c=biws")] // neither nonce nor proof (CVE-2026-19888)
    [InlineData("c=biws,r=NONCE")] // no proof
    [InlineData("r=NONCE,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=")] // no channel binding
    [InlineData("c=biws,r=forged,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=")] // someone else's nonce
    public async Task BadClientFinalMessage_08P01_OthersUnaffected(string clientFinal)
    {
        StartProxy(ScramHba, [AesLine(ScramUser, ScramPassword)]);
        await using var bystander = await OpenAsAsync(ScramUser, ScramPassword);
        await using var raw = await StartScramAsync();
        await raw.SendAsync(SaslInitial("SCRAM-SHA-256", 19, "n,,n=,r=clientnonce"u8));
        var serverFirst = await raw.ReadMessageAsync();
        Assert.Equal('R', serverFirst!.Value.Type);
        var nonce = Encoding.UTF8.GetString(serverFirst.Value.Body, 4, serverFirst.Value.Body.Length - 4).Split(',')[0][2..];

        await raw.SendAsync(Frame('p', Encoding.UTF8.GetBytes(clientFinal.Replace("NONCE", nonce, StringComparison.Ordinal))));

        await ExpectFatalAsync(raw, "08P01", clientFinal);
        await ExpectStillServingAsync(bystander);
    }

    [PostgresFact]
    public async Task PasswordMessageBeforeStartup_Refused08P01()
    {
        StartProxy(ScramHba, [AesLine(ScramUser, ScramPassword)]);
        await using var raw = await RawPgClient.ConnectAsync(Proxy.Port);

        // CVE-2015-4054: the first bytes parse as a startup packet of length 0x70000000 ('p' 0 0 0).
        await raw.SendAsync(Frame('p', "secret\0"u8));

        var messages = await raw.ReadToEndAsync();
        Assert.All(messages, m => Assert.Equal('E', m.Type));
        await ExpectStillServingAsync(await OpenAsAsync(ScramUser, ScramPassword));
    }

    [PostgresFact]
    public async Task SilentAfterTheChallenge_AuthenticationTimeout_CleanErrorAndClosed()
    {
        StartProxy(ScramHba, [AesLine(ScramUser, ScramPassword)], o => o with { AuthenticationTimeout = 1 });
        await using var raw = await StartScramAsync();
        var clock = Stopwatch.StartNew();

        await ExpectFatalAsync(raw, "08P01", "timeout");

        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(0.5), TimeSpan.FromSeconds(5));
        Assert.Equal(0, Proxy.Server.Runtime.Authenticating.Count);
    }

    [PostgresFact]
    public async Task TooManyAuthenticating_OldestDroppedWith53300_NewLoginSucceeds()
    {
        // Every client here comes from 127.0.0.1, so the per-address bound is set above the overall one.
        StartProxy(ScramHba, [AesLine(ScramUser, ScramPassword)],
            o => o with { MaxAuthenticatingConnections = 3, MaxAuthenticatingConnectionsPerAddress = 10 });
        await using var bystander = await OpenAsAsync(ScramUser, ScramPassword);
        var silent = new List<RawPgClient>();
        try
        {
            for (var i = 1; i <= 3; i++)
            {
                silent.Add(await RawPgClient.ConnectAsync(Proxy.Port));
                await Poll.UntilAsync(() => Proxy.Server.Runtime.Authenticating.Count == i, TimeSpan.FromSeconds(10),
                    $"{i} silent connections authenticating");
            }

            Assert.Equal(ScramUser, await CurrentUserAsync(ScramUser, ScramPassword));

            var messages = await silent[0].ReadToEndAsync();
            var error = Assert.Single(messages);
            Assert.Equal("53300", RawPgClient.ErrorField(error.Body, 'C'));
            Assert.Equal("too many connections still authenticating (max_authenticating_connections = 3)",
                RawPgClient.ErrorField(error.Body, 'M'));
            Assert.Equal(2, Proxy.Server.Runtime.Authenticating.Count);
            await ExpectStillServingAsync(bystander);
        }
        finally
        {
            foreach (var client in silent)
            {
                await client.DisposeAsync();
            }
        }

        await Poll.UntilAsync(() => Proxy.Server.Runtime.Authenticating.Count == 0, TimeSpan.FromSeconds(10),
            "the silent connections to be gone");
    }

    /// <summary>Connects, sends a StartupMessage for the SCRAM user and reads the AuthenticationSASL request.</summary>
    private async Task<RawPgClient> StartScramAsync()
    {
        var raw = await RawPgClient.ConnectAsync(Proxy.Port);
        await raw.SendAsync(RawPgClient.StartupMessage(ScramUser));
        var request = await raw.ReadMessageAsync();
        Assert.Equal('R', request!.Value.Type);
        Assert.Equal(10, BinaryPrimitives.ReadInt32BigEndian(request.Value.Body));
        return raw;
    }

    private static async Task ExpectFatalAsync(RawPgClient raw, string sqlState, string what)
    {
        var messages = await raw.ReadToEndAsync();
        var error = Assert.Single(messages);
        Assert.True(error.Type == 'E', what);
        Assert.True(RawPgClient.ErrorField(error.Body, 'C') == sqlState,
            $"{what}: {RawPgClient.ErrorField(error.Body, 'C')} {RawPgClient.ErrorField(error.Body, 'M')}");
        Assert.Equal("FATAL", RawPgClient.ErrorField(error.Body, 'S'));
    }

    private static async Task ExpectStillServingAsync(NpgsqlConnection connection)
    {
        await using var cmd = new NpgsqlCommand("SELECT 'still fine'", connection);
        Assert.Equal("still fine", await cmd.ExecuteScalarAsync());
    }

    private static byte[] SaslInitial(string mechanism, int declaredLength, ReadOnlySpan<byte> data)
    {
        var body = new byte[mechanism.Length + 1 + 4 + data.Length];
        Encoding.ASCII.GetBytes(mechanism, body);
        BinaryPrimitives.WriteInt32BigEndian(body.AsSpan(mechanism.Length + 1), declaredLength);
        data.CopyTo(body.AsSpan(mechanism.Length + 5));
        return Frame('p', body);
    }

    private static byte[] Frame(char type, ReadOnlySpan<byte> body)
    {
        var frame = new byte[5 + body.Length];
        frame[0] = (byte)type;
        BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(1), 4 + body.Length);
        body.CopyTo(frame.AsSpan(5));
        return frame;
    }
}

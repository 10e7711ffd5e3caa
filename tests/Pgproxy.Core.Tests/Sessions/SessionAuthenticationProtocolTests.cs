using System.Text;
using Pgproxy.Protocol.Messages;
using Pgproxy.TestUtilities.Scripted;
using static Pgproxy.Core.Tests.Sessions.AuthExchangeClient;

namespace Pgproxy.Core.Tests.Sessions;

/// <summary>
/// Malformed and broken-off authentication exchanges: each ends in a clean 08P01 (or a quiet close, or the
/// timeout's error), and the exchanges of other clients keep working. The methods themselves, and who gets in,
/// are in <see cref="SessionAuthenticationTests"/>.
/// </summary>
public sealed class SessionAuthenticationProtocolTests
{
    public static TheoryData<string, byte[]> MalformedSaslInitialResponses => new()
    {
        { "length 0xFFFFFFFF with data (CVE-2026-6664)", SaslInitial("SCRAM-SHA-256", "n,,n=,r=abc"u8, declaredLength: -1) },
        { "length 0x80000000", SaslInitial("SCRAM-SHA-256", "n,,n=,r=abc"u8, declaredLength: int.MinValue) },
        { "length beyond the body", SaslInitial("SCRAM-SHA-256", "n,,n=,r=abc"u8, declaredLength: 1000) },
        { "no mechanism terminator", Frame('p', "SCRAM-SHA-256"u8) },
        { "unknown mechanism", SaslInitial("SCRAM-SHA-1", "n,,n=,r=abc"u8) },
        { "no data", SaslInitial("SCRAM-SHA-256", [], declaredLength: -1) },
        { "channel binding not offered", SaslInitial("SCRAM-SHA-256", "p=tls-server-end-point,,n=,r=abc"u8) },
        { "not a client-first-message", SaslInitial("SCRAM-SHA-256", "hello"u8) },
        { "invalid UTF-8", SaslInitial("SCRAM-SHA-256", [0x6e, 0x2c, 0x2c, 0xff, 0xfe]) },
        { "a Query instead", RawClient.Query("SELECT 1") },
        { "length 2", [(byte)'p', 0, 0, 0, 2] },
        { "70,000 bytes", Frame('p', new byte[70_000]) },
    };

    [Theory]
    [MemberData(nameof(MalformedSaslInitialResponses))]
    public async Task Scram_MalformedInitialResponse_08P01_AndOthersKeepWorking(string what, byte[] message)
    {
        Assert.NotEmpty(what);
        await using var harness = Harness("local all all scram-sha-256", "alice:TEXTpencil");
        await using var bad = await StartAsync(harness, "alice");
        await ExpectAuthenticationAsync(bad, AuthenticationCode.Sasl);

        await bad.SendAsync(message);

        await ExpectFatalAsync(bad, "08P01", "");
        await using var good = await StartAsync(harness, "alice");
        await ScramAsync(good, "pencil");
        await good.ReadUntilReadyForQueryAsync();
    }

    [Theory]
    [InlineData("c=biws")] // no nonce, no proof (CVE-2026-19888)
    [InlineData("c=biws,r=NONCE")] // no proof
    [InlineData("r=NONCE,p=AAAA")] // no channel binding
    [InlineData("c=biws,r=someoneelse,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=")]
    [InlineData("")]
    public async Task Scram_MalformedClientFinal_08P01(string clientFinal)
    {
        await using var harness = Harness("local all all scram-sha-256", "alice:TEXTpencil");
        await using var client = await StartAsync(harness, "alice");
        await ExpectAuthenticationAsync(client, AuthenticationCode.Sasl);
        await client.SendAsync(SaslInitial("SCRAM-SHA-256", "n,,n=,r=clientnonce"u8));
        var serverFirst = await client.ReadMessageAsync();
        var nonce = Encoding.UTF8.GetString(serverFirst!.Body[4..]).Split(',')[0][2..];

        await client.SendAsync(Frame('p', Encoding.UTF8.GetBytes(clientFinal.Replace("NONCE", nonce, StringComparison.Ordinal))));

        await ExpectFatalAsync(client, "08P01", "");
    }

    [Fact]
    public async Task Md5_PasswordPacketWithTrailingBytes_08P01()
    {
        await using var harness = Harness("local all all md5", "alice:TEXTs3cret");
        await using var client = await StartAsync(harness, "alice");
        await ExpectAuthenticationAsync(client, AuthenticationCode.Md5Password);

        await client.SendAsync(Frame('p', "md5abc\0extra"u8));

        await ExpectFatalAsync(client, "08P01", "invalid password packet size");
    }

    [Fact]
    public async Task TerminateDuringAuthentication_ClosedQuietly()
    {
        await using var harness = Harness("local all all md5", "alice:TEXTs3cret");
        await using var client = await StartAsync(harness, "alice");
        await ExpectAuthenticationAsync(client, AuthenticationCode.Md5Password);

        await client.SendTerminateAsync();

        Assert.Empty(await client.ReadToEndAsync());
        await client.WaitForSessionEndAsync();
        Assert.Empty(harness.Runtime.Sessions.Sessions);
    }

    [Fact]
    public async Task SilentClient_AuthenticationTimeout_CleanError()
    {
        await using var harness = Harness("local all all md5", "alice:TEXTs3cret",
            configure: o => o with { AuthenticationTimeout = 1 });
        await using var client = await StartAsync(harness, "alice");
        await ExpectAuthenticationAsync(client, AuthenticationCode.Md5Password);

        await ExpectFatalAsync(client, "08P01", "canceling authentication due to timeout");
        Assert.Equal(0, harness.Runtime.Authenticating.Count);
    }
}

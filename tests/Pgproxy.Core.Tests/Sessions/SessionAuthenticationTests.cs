using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using Pgproxy.Core.Auth;
using Pgproxy.Core.Config;
using Pgproxy.Core.Hba;
using Pgproxy.Protocol.Auth;
using Pgproxy.Protocol.Messages;
using Pgproxy.Protocol.Writing;
using Pgproxy.TestUtilities.Scripted;

namespace Pgproxy.Core.Tests.Sessions;

public sealed class SessionAuthenticationTests
{
    private const string Verifier = "SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$" +
        "WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=:wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU="; // "pencil"

    [Fact]
    public async Task HbaMd5_RightPassword_InAndTheBackendGetsAnMd5AnswerFromPoolPasswd()
    {
        await using var harness = Harness("local all all md5", "alice:TEXTs3cret",
            new ScriptedBackendScript { Md5Password = "s3cret" });
        await using var client = await StartAsync(harness, "alice");

        var salt = await ExpectAuthenticationAsync(client, AuthenticationCode.Md5Password);
        await SendPasswordAsync(client, Md5Password.Compute("alice", "s3cret", salt));
        var startup = await client.ReadUntilReadyForQueryAsync();

        Assert.Equal(AuthenticationCode.Ok, startup[0].Int32At(0));
        Assert.Equal(1, harness.Connector.Single.AuthenticationAttempts);
    }

    [Theory]
    [InlineData("alice", "wrong")]
    [InlineData("mallory", "anything")]
    public async Task HbaMd5_WrongPasswordOrUnknownUser_SameExchangeSame28P01_NoBackend(string user, string password)
    {
        await using var harness = Harness("local all all md5", "alice:TEXTs3cret");
        await using var client = await StartAsync(harness, user);

        var salt = await ExpectAuthenticationAsync(client, AuthenticationCode.Md5Password);
        await SendPasswordAsync(client, Md5Password.Compute(user, password, salt));

        await ExpectFatalAsync(client, "28P01", $"password authentication failed for user \"{user}\"");
        Assert.Equal(0, harness.Connector.ConnectCount);
    }

    [Fact]
    public async Task HbaScram_TextEntry_ScramExchangeThenSaslFinalBeforeAuthenticationOk()
    {
        await using var harness = Harness("local all all scram-sha-256", "alice:TEXTpencil");
        await using var client = await StartAsync(harness, "alice");

        var scram = await ScramAsync(client, "pencil");
        var startup = await client.ReadUntilReadyForQueryAsync();

        Assert.Equal(AuthenticationCode.SaslFinal, startup[0].Int32At(0));
        scram.VerifyServerFinalMessage(Encoding.UTF8.GetString(startup[0].Body[4..]));
        Assert.Equal(AuthenticationCode.Ok, startup[1].Int32At(0));
    }

    [Fact]
    public async Task HbaScram_VerifierEntry_ClientKeyLogsIntoABackendWithTheSameVerifier()
    {
        await using var harness = Harness("local all all scram-sha-256", "alice:" + Verifier,
            new ScriptedBackendScript { ScramVerifier = Verifier });
        await using var client = await StartAsync(harness, "alice");

        await ScramAsync(client, "pencil");
        await client.ReadUntilReadyForQueryAsync();

        Assert.Equal(1, harness.Connector.Single.AuthenticationAttempts);
    }

    [Fact]
    public async Task HbaScram_VerifierEntry_BackendWithAnotherSalt_ClearErrorNamingUserAndNode()
    {
        await using var harness = Harness("local all all scram-sha-256", "alice:" + Verifier,
            new ScriptedBackendScript { ScramVerifier = ScramSha256Server.CreateVerifier("pencil") });
        await using var client = await StartAsync(harness, "alice");

        await ScramAsync(client, "pencil");
        var messages = await client.ReadToEndAsync();

        var error = messages[^1];
        Assert.Equal('E', error.Type);
        Assert.Contains("backend node 0", Message(error), StringComparison.Ordinal);
        Assert.Contains("\"alice\"", Message(error), StringComparison.Ordinal);
        Assert.Contains("salt", Message(error), StringComparison.Ordinal);
    }

    [Fact]
    public async Task HbaScram_WrongPassword_28P01()
    {
        await using var harness = Harness("local all all scram-sha-256", "alice:" + Verifier);
        await using var client = await StartAsync(harness, "alice");

        await ScramAsync(client, "not pencil");

        await ExpectFatalAsync(client, "28P01", "password authentication failed for user \"alice\"");
    }

    [Fact]
    public async Task HbaScram_Md5OnlyEntry_ExchangeRunsAndFailsLikeAWrongPassword()
    {
        await using var harness = Harness("local all all scram-sha-256",
            "alice:" + Md5Password.HashForPoolPasswd("alice", "pencil"));
        await using var client = await StartAsync(harness, "alice");

        await ScramAsync(client, "pencil");

        await ExpectFatalAsync(client, "28P01", "password authentication failed for user \"alice\"");
    }

    [Fact]
    public async Task HbaMd5_ScramOnlyEntry_IsUpgradedToScram()
    {
        await using var harness = Harness("local all all md5", "alice:" + Verifier);
        await using var client = await StartAsync(harness, "alice");

        await ScramAsync(client, "pencil");

        Assert.Equal('R', (await client.ReadUntilReadyForQueryAsync())[0].Type);
    }

    [Theory]
    [InlineData("alice", "s3cret", true)]
    [InlineData("alice", "wrong", false)]
    [InlineData("mallory", "s3cret", false)]
    public async Task HbaPassword_VerifiedAgainstPoolPasswd_UnknownUserNeverLetIn(string user, string password,
        bool accepted)
    {
        await using var harness = Harness("local all all password",
            "alice:" + Md5Password.HashForPoolPasswd("alice", "s3cret"));
        await using var client = await StartAsync(harness, user);

        await ExpectAuthenticationAsync(client, AuthenticationCode.CleartextPassword);
        await SendPasswordAsync(client, password);

        if (accepted)
        {
            Assert.Equal(AuthenticationCode.Ok, (await client.ReadUntilReadyForQueryAsync())[0].Int32At(0));
        }
        else
        {
            await ExpectFatalAsync(client, "28P01", $"password authentication failed for user \"{user}\"");
        }
    }

    [Theory]
    [InlineData("local all all reject", "pool_hba.conf rejects connection for host")]
    [InlineData("local all bob trust", "no pool_hba.conf entry for host")]
    [InlineData("local all all pam", "authentication method \"pam\" (pool_hba.conf line 1) is not supported")]
    public async Task Hba_RefusingRecords_28000(string hba, string message)
    {
        await using var harness = Harness(hba, "alice:TEXTs3cret");
        await using var client = await StartAsync(harness, "alice");

        await ExpectFatalAsync(client, "28000", message);
        Assert.Equal(0, harness.Connector.ConnectCount);
    }

    [Fact]
    public async Task HbaOff_TrustingNode_NoPasswordAskedAndTheProbeConnectionIsTheSessions()
    {
        await using var harness = Harness(hba: null, "");
        var (client, startup) = await harness.ConnectAndStartAsync("alice");
        await using var _ = client;

        Assert.Equal(AuthenticationCode.Ok, startup[0].Int32At(0));
        Assert.Equal(1, harness.Connector.ConnectCount);
    }

    [Fact]
    public async Task HbaOff_Md5Node_ClientAskedForMd5AndCheckedAgainstPoolPasswd()
    {
        await using var harness = Harness(hba: null, "alice:TEXTs3cret", new ScriptedBackendScript { Md5Password = "s3cret" });
        await using (var client = await StartAsync(harness, "alice"))
        {
            var salt = await ExpectAuthenticationAsync(client, AuthenticationCode.Md5Password);
            await SendPasswordAsync(client, Md5Password.Compute("alice", "s3cret", salt));
            await client.ReadUntilReadyForQueryAsync();
        }

        await using var wrong = await StartAsync(harness, "alice");
        var salt2 = await ExpectAuthenticationAsync(wrong, AuthenticationCode.Md5Password);
        await SendPasswordAsync(wrong, Md5Password.Compute("alice", "guess", salt2));
        await ExpectFatalAsync(wrong, "28P01", "password authentication failed for user \"alice\"");
    }

    [Fact]
    public async Task HbaOff_Md5Node_UserNotInPoolPasswd_Refused()
    {
        await using var harness = Harness(hba: null, "", new ScriptedBackendScript { Md5Password = "s3cret" });
        await using var client = await StartAsync(harness, "alice");

        var salt = await ExpectAuthenticationAsync(client, AuthenticationCode.Md5Password);
        await SendPasswordAsync(client, Md5Password.Compute("alice", "s3cret", salt));

        await ExpectFatalAsync(client, "28P01", "password authentication failed for user \"alice\"");
    }

    [Theory]
    [InlineData("s3cret", true)]
    [InlineData("wrong", false)]
    public async Task HbaOff_AllowClearText_UserNotInPoolPasswd_MainNodeChecksThePassword(string password,
        bool accepted)
    {
        await using var harness = Harness(hba: null, "", new ScriptedBackendScript { Md5Password = "s3cret" },
            allowClearText: true);
        await using var client = await StartAsync(harness, "alice");

        await ExpectAuthenticationAsync(client, AuthenticationCode.CleartextPassword);
        await SendPasswordAsync(client, password);

        if (accepted)
        {
            await client.ReadUntilReadyForQueryAsync();
        }
        else
        {
            await ExpectFatalAsync(client, "28P01", "password authentication failed for user \"alice\"");
        }
    }

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

    private static ProxyHarness Harness(string? hba, string poolPasswd, ScriptedBackendScript? script = null,
        bool allowClearText = false, Func<ProxyOptions, ProxyOptions>? configure = null)
    {
        var harness = new ProxyHarness(script, o =>
        {
            o = o with { AllowClearTextFrontendAuth = allowClearText };
            return configure is null ? o : configure(o);
        });
        harness.Runtime.PoolPasswd = PoolPasswd.FromText(poolPasswd);
        if (hba is not null)
        {
            harness.Runtime.HbaRules = HbaFileParser.Parse(hba, "pool_hba.conf").Rules;
        }

        return harness;
    }

    private static async Task<RawClient> StartAsync(ProxyHarness harness, string user)
    {
        var client = harness.Connect();
        await client.SendStartupAsync(user, "app");
        return client;
    }

    /// <summary>Reads an AuthenticationRequest with this code and returns its data (the md5 salt…).</summary>
    private static async Task<byte[]> ExpectAuthenticationAsync(RawClient client, int code)
    {
        var message = await client.ReadMessageAsync();
        Assert.NotNull(message);
        Assert.True(message.Type == 'R', $"expected an AuthenticationRequest, got {message} {Message(message)}");
        Assert.Equal(code, message.Int32At(0));
        return message.Body[4..].ToArray();
    }

    private static async Task ExpectFatalAsync(RawClient client, string sqlState, string messageStart)
    {
        var messages = await client.ReadToEndAsync();
        var error = Assert.Single(messages);
        Assert.Equal('E', error.Type);
        Assert.Equal(sqlState, error.SqlState);
        Assert.StartsWith(messageStart, Message(error), StringComparison.Ordinal);
        await client.WaitForSessionEndAsync();
    }

    private static async Task<ScramSha256Client> ScramAsync(RawClient client, string password)
    {
        await ExpectAuthenticationAsync(client, AuthenticationCode.Sasl);
        var scram = new ScramSha256Client(password);
        await client.SendAsync(SaslInitial("SCRAM-SHA-256", Encoding.UTF8.GetBytes(scram.CreateClientFirstMessage())));
        var serverFirst = await ExpectAuthenticationAsync(client, AuthenticationCode.SaslContinue);
        var final = scram.HandleServerFirstMessage(Encoding.UTF8.GetString(serverFirst));
        await client.SendAsync(Write(w => FrontendMessageWriter.WriteSaslResponse(w, Encoding.UTF8.GetBytes(final))));
        return scram;
    }

    private static Task SendPasswordAsync(RawClient client, string password) =>
        client.SendAsync(Write(w => FrontendMessageWriter.WritePasswordMessage(w, password)));

    /// <summary>A SASLInitialResponse whose data length field may lie (-1 is 0xFFFFFFFF, "no data").</summary>
    private static byte[] SaslInitial(string mechanism, ReadOnlySpan<byte> data, int? declaredLength = null)
    {
        var body = new List<byte>();
        body.AddRange(Encoding.UTF8.GetBytes(mechanism));
        body.Add(0);
        var length = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(length, declaredLength ?? data.Length);
        body.AddRange(length);
        body.AddRange(data.ToArray());
        return Frame('p', body.ToArray());
    }

    private static byte[] Frame(char type, ReadOnlySpan<byte> body)
    {
        var frame = new byte[5 + body.Length];
        frame[0] = (byte)type;
        BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(1), 4 + body.Length);
        body.CopyTo(frame.AsSpan(5));
        return frame;
    }

    private static byte[] Write(Action<ArrayBufferWriter<byte>> write)
    {
        var writer = new ArrayBufferWriter<byte>();
        write(writer);
        return writer.WrittenSpan.ToArray();
    }

    private static string Message(BackendMessage message) =>
        Protocol.Backend.ErrorResponseMessage.Parse(message.Body).Message ?? "";
}

using System.Text;
using Pgproxy.Protocol.Auth;
using Pgproxy.Protocol.Messages;
using Pgproxy.TestUtilities.Scripted;
using static Pgproxy.Core.Tests.Sessions.AuthExchangeClient;

namespace Pgproxy.Core.Tests.Sessions;

/// <summary>
/// Who gets in: each client-authentication method of pool_hba.conf, and with it off the method the main node asks
/// for, checked against pool_passwd. Malformed exchanges are in <see cref="SessionAuthenticationProtocolTests"/>.
/// </summary>
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
}

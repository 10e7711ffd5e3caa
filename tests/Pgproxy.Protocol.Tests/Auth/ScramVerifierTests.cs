using System.Security.Authentication;
using Pgproxy.Protocol.Auth;

namespace Pgproxy.Protocol.Tests.Auth;

public class ScramVerifierTests
{
    // The verifier PostgreSQL stores for password "pencil" with RFC 7677's salt (cross-checked with Python's hashlib).
    private const string PostgresVerifier =
        "SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=:" +
        "wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=";

    [Fact]
    public void Parse_PostgresVerifier_RoundTripsAndChecksPassword()
    {
        var verifier = ScramVerifier.Parse(PostgresVerifier);

        Assert.Equal(4096, verifier.Iterations);
        Assert.Equal(PostgresVerifier, verifier.ToString());
        Assert.True(verifier.VerifyPassword("pencil"));
        Assert.False(verifier.VerifyPassword("Pencil"));
        Assert.Equal(PostgresVerifier,
            ScramVerifier.Create("pencil", Convert.FromBase64String("W22ZaJ0SNY7soEsUEjb6gQ=="), 4096).ToString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("SCRAM-SHA-256$")]
    [InlineData("SCRAM-SHA-256$0:W22ZaJ0SNY7soEsUEjb6gQ==$a:b")]
    [InlineData("SCRAM-SHA-256$4096:$WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=:WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=")]
    [InlineData("SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=")]
    [InlineData("SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$WG5d:WG5d")]
    [InlineData("scram-sha-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=:WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=")]
    public void TryParse_Malformed_ReturnsFalse(string text)
    {
        Assert.False(ScramVerifier.TryParse(text, out _));
        Assert.Throws<FormatException>(() => ScramVerifier.Parse(text));
    }

    [Fact]
    public void Mock_SameSaltForSameUser_NeverVerifies()
    {
        byte[] seed = [1, 2, 3, 4];
        var first = ScramVerifier.Mock("nobody", seed);
        var again = ScramVerifier.Mock("nobody", seed);
        var other = ScramVerifier.Mock("somebody", seed);

        Assert.True(first.Salt.Span.SequenceEqual(again.Salt.Span));
        Assert.False(first.Salt.Span.SequenceEqual(other.Salt.Span));
        Assert.Equal(ScramVerifier.DefaultIterations, first.Iterations);
        Assert.False(first.VerifyPassword(""));
        Assert.False(first.VerifyPassword("nobody"));
    }

    [Fact]
    public void Server_RecoversClientKey_ThatAnswersAnotherServerWithTheSameVerifier()
    {
        var verifier = ScramVerifier.Create("s3cret", iterations: 16);
        var proxy = new ScramSha256Server(verifier);
        var client = new ScramSha256Client("s3cret");
        var clientFinal = client.HandleServerFirstMessage(proxy.HandleClientFirstMessage(client.CreateClientFirstMessage()));
        Assert.Null(proxy.ClientKey);
        Assert.True(proxy.TryHandleClientFinalMessage(clientFinal, out _));
        var clientKey = proxy.ClientKey!.Value;

        // The proxy now logs into a "backend" storing the same verifier, without the password.
        var backend = new ScramSha256Server(verifier);
        var passthrough = ScramSha256Client.FromClientKey(verifier, clientKey.Span);
        var final = passthrough.HandleServerFirstMessage(
            backend.HandleClientFirstMessage(passthrough.CreateClientFirstMessage()));
        Assert.True(backend.TryHandleClientFinalMessage(final, out var serverFinal));
        passthrough.VerifyServerFinalMessage(serverFinal);
    }

    [Fact]
    public void FromClientKey_BackendWithAnotherSalt_ThrowsAuthenticationException()
    {
        var verifier = ScramVerifier.Create("s3cret", iterations: 16);
        var clientKey = RecoverClientKey(verifier, "s3cret");
        var backend = new ScramSha256Server(ScramVerifier.Create("s3cret", iterations: 16));
        var passthrough = ScramSha256Client.FromClientKey(verifier, clientKey);

        var serverFirst = backend.HandleClientFirstMessage(passthrough.CreateClientFirstMessage());
        var ex = Assert.Throws<AuthenticationException>(() => passthrough.HandleServerFirstMessage(serverFirst));
        Assert.Contains("salt", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromClientKey_KeyOfAnotherVerifier_IsRefused()
    {
        var verifier = ScramVerifier.Create("s3cret", iterations: 16);
        var wrongKey = RecoverClientKey(ScramVerifier.Create("other", iterations: 16), "other");
        Assert.Throws<ArgumentException>(() => ScramSha256Client.FromClientKey(verifier, wrongKey));
    }

    private static byte[] RecoverClientKey(ScramVerifier verifier, string password)
    {
        var server = new ScramSha256Server(verifier);
        var client = new ScramSha256Client(password);
        var clientFinal = client.HandleServerFirstMessage(server.HandleClientFirstMessage(client.CreateClientFirstMessage()));
        Assert.True(server.TryHandleClientFinalMessage(clientFinal, out _));
        return server.ClientKey!.Value.ToArray();
    }
}

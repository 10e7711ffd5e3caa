using System.Security.Authentication;
using Pgproxy.Protocol.Auth;
using Pgproxy.Protocol.Framing;

namespace Pgproxy.Protocol.Tests.Auth;

public class ScramSha256Tests
{
    // RFC 7677 §3 test vector.
    private const string ClientNonce = "rOprNGfwEbeRWgbNEkqO";
    private const string ServerNonceSuffix = "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
    private const string Salt = "W22ZaJ0SNY7soEsUEjb6gQ==";
    private const string ClientFirst = "n,,n=user,r=rOprNGfwEbeRWgbNEkqO";
    private const string ServerFirst =
        "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
    private const string ClientFinal =
        "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
    private const string ServerFinal = "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";

    [Fact]
    public void Client_Rfc7677Vector_ProducesExpectedMessages()
    {
        var client = new ScramSha256Client("pencil", ClientNonce, "user");
        Assert.Equal(ClientFirst, client.CreateClientFirstMessage());
        Assert.Equal(ClientFinal, client.HandleServerFirstMessage(ServerFirst));
        client.VerifyServerFinalMessage(ServerFinal);
    }

    [Fact]
    public void Server_Rfc7677Vector_ProducesExpectedMessages()
    {
        string verifier = ScramSha256Server.CreateVerifier("pencil", Convert.FromBase64String(Salt), 4096);
        var server = new ScramSha256Server(verifier, ServerNonceSuffix);
        Assert.Equal(ServerFirst, server.HandleClientFirstMessage(ClientFirst));
        Assert.True(server.TryHandleClientFinalMessage(ClientFinal, out string serverFinal));
        Assert.Equal(ServerFinal, serverFinal);
    }

    [Fact]
    public void Client_DefaultUserName_IsEmptyLikeLibpq()
    {
        var client = new ScramSha256Client("pencil", ClientNonce);
        Assert.Equal("n,,n=,r=" + ClientNonce, client.CreateClientFirstMessage());
    }

    [Fact]
    public void Client_ServerNonceNotExtendingClientNonce_Throws()
    {
        var client = new ScramSha256Client("pencil", ClientNonce, "user");
        client.CreateClientFirstMessage();
        Assert.Throws<AuthenticationException>(
            () => client.HandleServerFirstMessage("r=someoneElse" + ServerNonceSuffix + ",s=" + Salt + ",i=4096"));
        Assert.Throws<AuthenticationException>(
            () => client.HandleServerFirstMessage("r=" + ClientNonce + ",s=" + Salt + ",i=4096"));
    }

    [Theory]
    [InlineData("v=AAAATRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=")]
    [InlineData("e=invalid-proof")]
    [InlineData("garbage")]
    public void Client_BadServerFinal_Throws(string serverFinal)
    {
        var client = new ScramSha256Client("pencil", ClientNonce, "user");
        client.CreateClientFirstMessage();
        client.HandleServerFirstMessage(ServerFirst);
        Assert.Throws<AuthenticationException>(() => client.VerifyServerFinalMessage(serverFinal));
    }

    [Fact]
    public void RoundTrip_RightPassword_BothSidesAgree()
    {
        var server = new ScramSha256Server(ScramSha256Server.CreateVerifier("s3cret, with = signs"));
        var client = new ScramSha256Client("s3cret, with = signs");
        string serverFirst = server.HandleClientFirstMessage(client.CreateClientFirstMessage());
        string clientFinal = client.HandleServerFirstMessage(serverFirst);
        Assert.True(server.TryHandleClientFinalMessage(clientFinal, out string serverFinal));
        client.VerifyServerFinalMessage(serverFinal);
    }

    [Fact]
    public void RoundTrip_WrongPassword_ServerReturnsFalse()
    {
        var server = new ScramSha256Server(ScramSha256Server.CreateVerifier("right"));
        var client = new ScramSha256Client("wrong");
        string serverFirst = server.HandleClientFirstMessage(client.CreateClientFirstMessage());
        string clientFinal = client.HandleServerFirstMessage(serverFirst);
        Assert.False(server.TryHandleClientFinalMessage(clientFinal, out string serverFinal));
        Assert.Equal("", serverFinal);
    }

    [Fact]
    public void CreateVerifier_Format_MatchesPostgres()
    {
        string verifier = ScramSha256Server.CreateVerifier("pencil", Convert.FromBase64String(Salt), 4096);
        Assert.StartsWith("SCRAM-SHA-256$4096:" + Salt + "$", verifier, StringComparison.Ordinal);
        string[] keys = verifier.Split('$')[2].Split(':');
        Assert.Equal(32, Convert.FromBase64String(keys[0]).Length);
        Assert.Equal(32, Convert.FromBase64String(keys[1]).Length);
    }

    [Theory]
    [InlineData("p=tls-server-end-point,,n=,r=abc")]
    [InlineData("n,a=admin,n=,r=abc")]
    [InlineData("x,,n=,r=abc")]
    [InlineData("n,,r=abc")]
    [InlineData("n,,n=,r=")]
    public void Server_BadClientFirst_ThrowsProtocolViolation(string clientFirst)
    {
        var server = new ScramSha256Server(ScramSha256Server.CreateVerifier("pw", iterations: 1));
        var ex = Assert.Throws<ProtocolViolationException>(() => server.HandleClientFirstMessage(clientFirst));
        Assert.Equal(ProtocolViolationReason.MalformedMessage, ex.Reason);
    }

    [Fact]
    public void Server_ChannelBindingRequest_SaysSo()
    {
        var server = new ScramSha256Server(ScramSha256Server.CreateVerifier("pw", iterations: 1));
        var ex = Assert.Throws<ProtocolViolationException>(
            () => server.HandleClientFirstMessage("p=tls-server-end-point,,n=,r=abc"));
        Assert.Contains("channel binding", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Server_YFlag_ExpectsMatchingChannelBindingAttribute()
    {
        var server = new ScramSha256Server(ScramSha256Server.CreateVerifier("pw", iterations: 1), "SRV");
        server.HandleClientFirstMessage("y,,n=,r=abc");

        // base64("y,,") is "eSws"; "biws" (for "n,,") must be refused after a "y,," header.
        Assert.Throws<ProtocolViolationException>(
            () => server.TryHandleClientFinalMessage("c=biws,r=abcSRV,p=AAAA", out _));
    }

    [Theory]
    [InlineData("c=biws,r=abcOTHER,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=")]
    [InlineData("c=biws,r=abcSRV")]
    [InlineData("c=biws,r=abcSRV,p=notbase64!")]
    [InlineData("r=abcSRV,c=biws,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=")]
    public void Server_BadClientFinal_ThrowsProtocolViolation(string clientFinal)
    {
        var server = new ScramSha256Server(ScramSha256Server.CreateVerifier("pw", iterations: 1), "SRV");
        server.HandleClientFirstMessage("n,,n=,r=abc");
        Assert.Throws<ProtocolViolationException>(() => server.TryHandleClientFinalMessage(clientFinal, out _));
    }

    [Theory]
    [InlineData("md5abc")]
    [InlineData("SCRAM-SHA-256$x:abc$a:b")]
    [InlineData("SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$short:short")]
    public void Server_BadVerifier_ThrowsFormatException(string verifier)
    {
        Assert.Throws<FormatException>(() => new ScramSha256Server(verifier));
    }
}

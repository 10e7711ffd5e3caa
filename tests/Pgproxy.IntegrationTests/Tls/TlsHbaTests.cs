using Npgsql;
using Pgproxy.Core.Config;
using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Postgres;
using Pgproxy.TestUtilities.Tls;

namespace Pgproxy.IntegrationTests.Tls;

/// <summary>
/// pool_hba.conf with TLS: <c>hostssl</c> and <c>hostnossl</c> look at the session's encryption, and <c>cert</c>
/// lets in a client whose certificate (signed by ssl_ca_cert) names the user, and nobody else.
/// </summary>
[Collection(TlsSuite.Name)]
public sealed class TlsHbaTests(TlsCluster cluster) : ProxyTestBase(cluster)
{
    /// <summary>The roles <see cref="TlsCluster"/> creates on the node.</summary>
    public static readonly string[] Roles = ["ssl_user", "plain_user", "cert_user"];

    private const string HbaFile = """
        hostssl    all  ssl_user    127.0.0.1/32  trust
        hostnossl  all  plain_user  127.0.0.1/32  trust
        hostssl    all  cert_user   127.0.0.1/32  cert
        host       all  postgres    127.0.0.1/32  trust
        """;

    protected override ProxyOptions Configure(ProxyOptions options)
    {
        var hba = Path.Combine(cluster.Pki.Directory, "pool_hba.conf");
        File.WriteAllText(hba, HbaFile);
        return options with
        {
            Ssl = true,
            SslCert = cluster.ProxyCertificate.CertFile,
            SslKey = cluster.ProxyCertificate.KeyFile,
            SslCaCert = cluster.Pki.CaFile,
            EnablePoolHba = true,
            HbaFilePath = hba,
        };
    }

    [PostgresFact]
    public async Task HostSsl_PlainClient_Refused28000()
    {
        var error = await Assert.ThrowsAsync<PostgresException>(
            () => OpenAsync(b => (b.Username, b.SslMode) = ("ssl_user", SslMode.Disable)));

        Assert.Equal("28000", error.SqlState);
        Assert.Contains("no pool_hba.conf entry", error.MessageText, StringComparison.Ordinal);
        Assert.EndsWith("no encryption", error.MessageText, StringComparison.Ordinal);
    }

    [PostgresFact]
    public async Task HostSsl_TlsClient_LetIn()
    {
        await using var conn = await OpenAsync(b => (b.Username, b.SslMode) = ("ssl_user", SslMode.Require));
        await using var cmd = new NpgsqlCommand("SELECT current_user", conn);

        Assert.Equal("ssl_user", await cmd.ExecuteScalarAsync());
    }

    [PostgresFact]
    public async Task HostNoSsl_TlsClient_Refused28000()
    {
        var error = await Assert.ThrowsAsync<PostgresException>(
            () => OpenAsync(b => (b.Username, b.SslMode) = ("plain_user", SslMode.Require)));

        Assert.Equal("28000", error.SqlState);
        Assert.EndsWith("SSL encryption", error.MessageText, StringComparison.Ordinal);
    }

    [PostgresFact]
    public async Task HostNoSsl_PlainClient_LetIn()
    {
        await using var conn = await OpenAsync(b => (b.Username, b.SslMode) = ("plain_user", SslMode.Disable));
        await using var cmd = new NpgsqlCommand("SELECT current_user", conn);

        Assert.Equal("plain_user", await cmd.ExecuteScalarAsync());
    }

    [PostgresFact]
    public async Task Cert_CommonNameIsTheUser_LetIn()
    {
        var certificate = cluster.Pki.IssueClient("cert_user");

        var result = await PsqlWithCertificateAsync("cert_user", certificate, "-Atc", "SELECT current_user");

        Assert.Equal("cert_user", result.EnsureSuccess().StdOut.Trim());
    }

    [PostgresFact]
    public async Task Cert_CommonNameIsAnotherUser_Refused28000()
    {
        var certificate = cluster.Pki.IssueClient("postgres");

        var result = await PsqlWithCertificateAsync("cert_user", certificate, "-Atc", "SELECT 1");

        Assert.False(result.Succeeded);
        Assert.Contains("certificate authentication failed for user \"cert_user\"", result.StdErr, StringComparison.Ordinal);
    }

    [PostgresFact]
    public async Task Cert_NoCertificate_Refused28000()
    {
        var error = await Assert.ThrowsAsync<PostgresException>(
            () => OpenAsync(b => (b.Username, b.SslMode) = ("cert_user", SslMode.Require)));

        Assert.Equal("28000", error.SqlState);
        Assert.Equal("connection requires a valid client certificate", error.MessageText);
    }

    [PostgresFact]
    public async Task Cert_SignedByAnotherCa_RefusedInTheHandshake()
    {
        using var stranger = TestPki.Create("stranger");
        var certificate = stranger.IssueClient("cert_user");

        var result = await PsqlWithCertificateAsync("cert_user", certificate, "-Atc", "SELECT 1");

        Assert.False(result.Succeeded);
        Assert.DoesNotContain("cert_user", result.StdOut, StringComparison.Ordinal);
        Assert.Contains("SSL", result.StdErr, StringComparison.OrdinalIgnoreCase);
        await using var conn = await OpenAsync(b => b.SslMode = SslMode.Require);
        await using var cmd = new NpgsqlCommand("SELECT 1", conn);
        Assert.Equal(1, await cmd.ExecuteScalarAsync());
    }

    private Task<ProcessResult> PsqlWithCertificateAsync(string user, IssuedCertificate certificate,
        params string[] arguments) =>
        PgTools.PsqlAsync(Proxy.Port, user, new Dictionary<string, string?>
        {
            ["PGSSLMODE"] = "require",
            ["PGSSLCERT"] = certificate.CertFile,
            ["PGSSLKEY"] = certificate.KeyFile,
        }, arguments);
}

using Npgsql;
using Pgproxy.TestUtilities.Postgres;
using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Tls;

namespace Pgproxy.IntegrationTests.Tls;

/// <summary>
/// TLS from pgproxy to a real node with <c>ssl = on</c>, seen from the node itself (<c>pg_stat_ssl</c> of the
/// backend serving the session), and <c>ssl_ca_cert</c> deciding whether the node's certificate is good enough.
/// </summary>
[Collection(TlsSuite.Name)]
public sealed class BackendTlsTests(TlsCluster cluster) : ProxyTestBase(cluster)
{
    private const string BackendSsl = "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()";

    [PostgresTheory]
    [InlineData("prefer")]
    [InlineData("require")]
    public async Task BackendSsl_NodeWithSsl_BackendConnectionIsTls(string mode)
    {
        await using var proxy = ProxyHost.Start(cluster, o => o with { BackendSsl = mode });
        await using var conn = await proxy.OpenAsync();
        await using var cmd = new NpgsqlCommand(BackendSsl, conn);

        Assert.Equal(true, await cmd.ExecuteScalarAsync());
    }

    [PostgresFact]
    public async Task SslOnBackendAuto_BothLegsTls()
    {
        await using var proxy = ProxyHost.Start(cluster, o => o with
        {
            Ssl = true, SslCert = cluster.ProxyCertificate.CertFile, SslKey = cluster.ProxyCertificate.KeyFile,
        });
        await using var conn = await proxy.OpenAsync(b => b.SslMode = SslMode.Require);
        await using var cmd = new NpgsqlCommand(BackendSsl, conn);

        Assert.Equal(true, await cmd.ExecuteScalarAsync());
    }

    [PostgresFact]
    public async Task BackendSslDefault_SslOff_BackendConnectionIsPlain()
    {
        await using var conn = await OpenAsync();
        await using var cmd = new NpgsqlCommand(BackendSsl, conn);

        Assert.Equal(false, await cmd.ExecuteScalarAsync());
    }

    [PostgresFact]
    public async Task SslOnBackendOff_OnlyTheClientLegIsTls()
    {
        await using var proxy = ProxyHost.Start(cluster, o => o with
        {
            Ssl = true, SslCert = cluster.ProxyCertificate.CertFile, SslKey = cluster.ProxyCertificate.KeyFile,
            BackendSsl = "off",
        });
        await using var conn = await proxy.OpenAsync(b => b.SslMode = SslMode.Require);
        await using var cmd = new NpgsqlCommand(BackendSsl, conn);

        Assert.Equal(false, await cmd.ExecuteScalarAsync());
    }

    [PostgresFact]
    public async Task SslCaCert_ThatSignedTheNode_Accepted()
    {
        await using var proxy = ProxyHost.Start(cluster, o => o with { BackendSsl = "require", SslCaCert = cluster.Pki.CaFile });
        await using var conn = await proxy.OpenAsync();
        await using var cmd = new NpgsqlCommand(BackendSsl, conn);

        Assert.Equal(true, await cmd.ExecuteScalarAsync());
    }

    [PostgresFact]
    public async Task SslCaCert_ThatDidNotSignTheNode_ClientGetsAConnectionError()
    {
        using var stranger = TestPki.Create("stranger-ca");
        await using var proxy = ProxyHost.Start(cluster, o => o with { BackendSsl = "require", SslCaCert = stranger.CaFile });

        var error = await Assert.ThrowsAsync<PostgresException>(() => proxy.OpenAsync());

        Assert.Equal("08006", error.SqlState);
        Assert.Contains("TLS handshake with backend node 0", error.MessageText, StringComparison.Ordinal);
    }

    [PostgresFact]
    public async Task BackendTls_PgbenchThroughProxy_NoFailures()
    {
        (await PgTools.PgbenchAsync(Node.Port, "-i", "-s", "1", "-q")).EnsureSuccess();
        await using var proxy = ProxyHost.Start(cluster, o => o with { BackendSsl = "require" });

        var result = await PgTools.PgbenchAsync(proxy.Port, "-S", "-t", "250", "-c", "4", "-j", "2");

        result.EnsureSuccess();
        Assert.Contains("number of failed transactions: 0", result.StdOut, StringComparison.Ordinal);
        // The connections pgproxy keeps cached for reuse are all TLS.
        Assert.True(await NodeSql.ScalarAsync<bool>(Node,
            "SELECT count(*) > 0 AND bool_and(ssl) FROM pg_stat_ssl JOIN pg_stat_activity USING (pid) " +
            "WHERE pid <> pg_backend_pid() AND backend_type = 'client backend'"));
    }
}

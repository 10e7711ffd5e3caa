using Pgproxy.Core.Config;
using Pgproxy.Core.Tls;
using Pgproxy.TestUtilities.Tls;

namespace Pgproxy.Core.Tests.Tls;

/// <summary>Loading ssl_cert, ssl_key and ssl_ca_cert: what works, and errors that name the key and the file.</summary>
public sealed class ProxyTlsTests : IDisposable
{
    private readonly TestPki _pki = TestPki.Create("load");

    public void Dispose() => _pki.Dispose();

    [Fact]
    public void Load_SslOffBackendAuto_Null()
    {
        Assert.Null(ProxyTls.Load(new ProxyOptions()));
    }

    [Theory]
    [InlineData(false, "auto", "Off")]
    [InlineData(true, "auto", "Prefer")]
    [InlineData(true, "off", "Off")]
    [InlineData(false, "prefer", "Prefer")]
    [InlineData(false, "require", "Require")]
    public void Load_BackendSsl_ResolvesAutoFromSsl(bool ssl, string backendSsl, string expected)
    {
        var server = _pki.IssueServer();

        var tls = ProxyTls.Load(new ProxyOptions
        {
            Ssl = ssl, SslCert = server.CertFile, SslKey = server.KeyFile, BackendSsl = backendSsl,
        });

        Assert.Equal(expected, (tls?.BackendMode ?? BackendSslMode.Off).ToString());
        Assert.Equal(ssl, tls?.AcceptsClients ?? false);
    }

    [Fact]
    public void Load_CertificateAndKey_ServesThatCertificate()
    {
        var server = _pki.IssueServer();

        var tls = ProxyTls.Load(new ProxyOptions { Ssl = true, SslCert = server.CertFile, SslKey = server.KeyFile });

        Assert.Equal(server.Thumbprint, tls?.ServerCertificate?.Thumbprint);
        Assert.True(tls!.ClientOptions().ServerCertificateContext is not null);
        Assert.False(tls.ClientOptions().ClientCertificateRequired);
    }

    [Fact]
    public void Load_WithCa_AsksClientsForACertificate()
    {
        var server = _pki.IssueServer();

        var tls = ProxyTls.Load(new ProxyOptions
        {
            Ssl = true, SslCert = server.CertFile, SslKey = server.KeyFile, SslCaCert = _pki.CaFile,
        });

        Assert.True(tls!.ClientOptions().ClientCertificateRequired);
    }

    [Fact]
    public void Load_SslOnWithoutFiles_NamesBothKeys()
    {
        var error = Assert.Throws<ProxyConfigurationException>(() => ProxyTls.Load(new ProxyOptions { Ssl = true }));

        Assert.Equal(2, error.Problems.Count);
        Assert.Contains(error.Problems, p => p.Contains("ssl_cert", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.Contains("ssl_key", StringComparison.Ordinal));
    }

    [Fact]
    public void Load_MissingFiles_EveryProblemNamesItsKeyAndFile()
    {
        var missing = Path.Combine(_pki.Directory, "nope.crt");
        var missingKey = Path.Combine(_pki.Directory, "nope.key");
        var missingCa = Path.Combine(_pki.Directory, "nope-ca.crt");

        var error = Assert.Throws<ProxyConfigurationException>(() => ProxyTls.Load(new ProxyOptions
        {
            Ssl = true, SslCert = missing, SslKey = missingKey, SslCaCert = missingCa,
        }));

        Assert.Equal(3, error.Problems.Count);
        Assert.Contains(error.Problems, p => p.StartsWith("ssl_cert:", StringComparison.Ordinal) && p.Contains(missing, StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.StartsWith("ssl_key:", StringComparison.Ordinal) && p.Contains(missingKey, StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.StartsWith("ssl_ca_cert:", StringComparison.Ordinal) && p.Contains(missingCa, StringComparison.Ordinal));
    }

    [Fact]
    public void Load_CertFileWithoutCertificate_NamesSslCert()
    {
        var server = _pki.IssueServer();

        // The key file holds no certificate.
        var error = Assert.Throws<ProxyConfigurationException>(() => ProxyTls.Load(new ProxyOptions
        {
            Ssl = true, SslCert = server.KeyFile, SslKey = server.KeyFile,
        }));

        var problem = Assert.Single(error.Problems);
        Assert.StartsWith("ssl_cert:", problem, StringComparison.Ordinal);
        Assert.Contains("holds no PEM certificate", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_KeyOfAnotherCertificate_NamesSslKey()
    {
        var server = _pki.IssueServer();
        var other = _pki.IssueServer();

        var error = Assert.Throws<ProxyConfigurationException>(() => ProxyTls.Load(new ProxyOptions
        {
            Ssl = true, SslCert = server.CertFile, SslKey = other.KeyFile,
        }));

        var problem = Assert.Single(error.Problems);
        Assert.StartsWith("ssl_key:", problem, StringComparison.Ordinal);
        Assert.Contains(other.KeyFile, problem, StringComparison.Ordinal);
    }
}

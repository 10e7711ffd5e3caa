using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Pgproxy.TestUtilities.Tls;

/// <summary>
/// A throw-away certificate authority for TLS tests: a CA and the server and client certificates it signs
/// (ECDSA P-256, quick to generate), written as PEM files into a temp folder that disposing deletes. Key files
/// are mode 0600, as libpq and PostgreSQL demand.
/// </summary>
public sealed class TestPki : IDisposable
{
    private readonly X509Certificate2 _ca;
    private int _issued;

    private TestPki(string directory, X509Certificate2 ca)
    {
        Directory = directory;
        _ca = ca;
        CaFile = Path.Combine(directory, "ca.crt");
        File.WriteAllText(CaFile, ca.ExportCertificatePem());
    }

    /// <summary>The folder holding every file of this PKI (world-readable, so the postgres OS user can copy).</summary>
    public string Directory { get; }

    /// <summary>The CA certificate (PEM).</summary>
    public string CaFile { get; }

    public static TestPki Create(string name = "test")
    {
        var directory = Path.Combine(OperatingSystem.IsWindows() ? Path.GetTempPath() : "/tmp",
            $"pgproxy-pki-{name}-{Guid.NewGuid().ToString("N")[..8]}");
        System.IO.Directory.CreateDirectory(directory);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN=pgproxy test CA {name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(
            X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var ca = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
        return new TestPki(directory, ca);
    }

    /// <summary>A server certificate for 127.0.0.1 and localhost, with <paramref name="commonName"/>.</summary>
    public IssuedCertificate IssueServer(string commonName = "127.0.0.1")
    {
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        return Issue(commonName, "1.3.6.1.5.5.7.3.1", names.Build()); // serverAuth
    }

    /// <summary>A client certificate whose common name is <paramref name="commonName"/> (the user, for cert auth).</summary>
    public IssuedCertificate IssueClient(string commonName) =>
        Issue(commonName, "1.3.6.1.5.5.7.3.2", null); // clientAuth

    public void Dispose()
    {
        _ca.Dispose();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: it is a temp folder.
        }
    }

    private IssuedCertificate Issue(string commonName, string usage, X509Extension? alternativeNames)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={commonName}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(usage)], false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(_ca, true, false));
        if (alternativeNames is not null)
        {
            request.CertificateExtensions.Add(alternativeNames);
        }

        var serial = BitConverter.GetBytes(Interlocked.Increment(ref _issued) + Random.Shared.NextInt64(1L << 40));
        using var certificate = request.Create(_ca, DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddDays(30),
            serial);
        var baseName = Path.Combine(Directory, $"{commonName}-{_issued}");
        var issued = new IssuedCertificate(baseName + ".crt", baseName + ".key", certificate.ExportCertificatePem(),
            key.ExportPkcs8PrivateKeyPem(), certificate.Thumbprint);
        File.WriteAllText(issued.CertFile, issued.CertificatePem);
        File.WriteAllText(issued.KeyFile, issued.KeyPem);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(issued.KeyFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        return issued;
    }
}

namespace Pgproxy.TestUtilities.Tls;

/// <summary>A certificate issued by a <see cref="TestPki"/>: its PEM files and texts, and its SHA-1 thumbprint.</summary>
public sealed record IssuedCertificate(string CertFile, string KeyFile, string CertificatePem, string KeyPem,
    string Thumbprint);

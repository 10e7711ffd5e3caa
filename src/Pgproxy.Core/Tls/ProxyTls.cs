using System.Diagnostics.CodeAnalysis;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Pgproxy.Core.Config;

namespace Pgproxy.Core.Tls;

/// <summary>
/// TLS as configured: the certificate pgproxy shows clients (<c>ssl_cert</c>, <c>ssl_key</c>), the CA that client
/// and backend certificates must chain to (<c>ssl_ca_cert</c>), and whether to ask backends for TLS
/// (<c>backend_ssl</c>). Loaded whole at start and on every reload, and swapped whole: a handshake uses the
/// instance in force when it starts, so new sessions get a reloaded certificate and running ones keep theirs.
/// </summary>
internal sealed class ProxyTls
{
    private readonly SslStreamCertificateContext? _serverCertificate;
    private readonly X509Certificate2Collection? _ca;

    private ProxyTls(SslStreamCertificateContext? serverCertificate, X509Certificate2Collection? ca,
        BackendSslMode backendMode)
    {
        _serverCertificate = serverCertificate;
        _ca = ca;
        BackendMode = backendMode;
    }

    /// <summary>True when <c>ssl</c> is on: an SSLRequest is answered <c>S</c>.</summary>
    public bool AcceptsClients => _serverCertificate is not null;

    public BackendSslMode BackendMode { get; }

    /// <summary>The certificate shown to clients (null when <c>ssl</c> is off).</summary>
    public X509Certificate2? ServerCertificate => _serverCertificate?.TargetCertificate;

    /// <summary>
    /// Reads the files the options name. Returns null when TLS is off on both sides; throws
    /// <see cref="ProxyConfigurationException"/> naming every key and file that is unusable.
    /// </summary>
    public static ProxyTls? Load(ProxyOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var backendMode = ResolveBackendMode(options);
        if (!options.Ssl && backendMode == BackendSslMode.Off)
        {
            return null;
        }

        var problems = new List<string>();
        X509Certificate2Collection? ca = null;
        if (options.SslCaCert.Length > 0)
        {
            ca = ReadCertificates("ssl_ca_cert", options.SslCaCert, problems);
        }

        SslStreamCertificateContext? server = null;
        if (options.Ssl)
        {
            server = LoadServerCertificate(options, problems);
        }

        return problems.Count > 0
            ? throw new ProxyConfigurationException(problems)
            : new ProxyTls(server, ca, backendMode);
    }

    /// <summary>
    /// Options for one client handshake. With <c>ssl_ca_cert</c> the client is asked for a certificate, which must
    /// chain to that CA when it sends one; sending none is allowed (the <c>cert</c> method of pool_hba.conf then
    /// refuses), as PostgreSQL does with <c>ssl_ca_file</c>.
    /// </summary>
    public SslServerAuthenticationOptions ClientOptions() => new()
    {
        ServerCertificateContext = _serverCertificate
            ?? throw new InvalidOperationException("ssl is off: there is no server certificate"),
        ClientCertificateRequired = _ca is not null,
        CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
        CertificateChainPolicy = ChainPolicy(),
        RemoteCertificateValidationCallback = _ca is null
            ? null
            : static (_, _, _, errors) => errors is SslPolicyErrors.None or SslPolicyErrors.RemoteCertificateNotAvailable,
    };

    /// <summary>
    /// Options for one backend handshake. Without <c>ssl_ca_cert</c> any certificate is accepted (the link is
    /// encrypted but the node is not authenticated, like libpq's <c>sslmode=require</c>); with it the node's
    /// certificate must chain to that CA, its host name is not checked (libpq's <c>verify-ca</c>).
    /// </summary>
    [SuppressMessage("Security", "CA5359", Justification =
        "Documented behaviour without ssl_ca_cert (pgpool's too): encrypt, but do not authenticate the node.")]
    public SslClientAuthenticationOptions BackendOptions(string host) => new()
    {
        TargetHost = host,
        EnabledSslProtocols = SslProtocols.None,
        CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
        CertificateChainPolicy = ChainPolicy(),
        RemoteCertificateValidationCallback = _ca is null
            ? static (_, _, _, _) => true
            : static (_, _, _, errors) => (errors & ~SslPolicyErrors.RemoteCertificateNameMismatch) == SslPolicyErrors.None,
    };

    private static BackendSslMode ResolveBackendMode(ProxyOptions options) => options.BackendSsl switch
    {
        "off" => BackendSslMode.Off,
        "prefer" => BackendSslMode.Prefer,
        "require" => BackendSslMode.Require,
        _ => options.Ssl ? BackendSslMode.Prefer : BackendSslMode.Off, // auto: pgpool's ssl covers both sides
    };

    /// <summary>Chains are built against <c>ssl_ca_cert</c> only, never the system store; null without it.</summary>
    private X509ChainPolicy? ChainPolicy()
    {
        if (_ca is null)
        {
            return null;
        }

        var policy = new X509ChainPolicy
        {
            TrustMode = X509ChainTrustMode.CustomRootTrust,
            RevocationMode = X509RevocationMode.NoCheck,
            DisableCertificateDownloads = true,
        };
        policy.CustomTrustStore.AddRange(_ca);
        return policy;
    }

    private static SslStreamCertificateContext? LoadServerCertificate(ProxyOptions options, List<string> problems)
    {
        if (options.SslCert.Length == 0)
        {
            problems.Add("ssl = on needs ssl_cert, the certificate file shown to clients");
        }

        if (options.SslKey.Length == 0)
        {
            problems.Add("ssl = on needs ssl_key, the private key file of ssl_cert");
        }

        if (options.SslCert.Length == 0 || options.SslKey.Length == 0)
        {
            return null;
        }

        var certPem = ReadFile("ssl_cert", options.SslCert, problems);
        var chain = certPem is null ? null : ParseCertificates("ssl_cert", options.SslCert, certPem, problems);
        var keyPem = ReadFile("ssl_key", options.SslKey, problems);
        if (chain is null || keyPem is null)
        {
            return null;
        }

        X509Certificate2 leaf;
        try
        {
            leaf = X509Certificate2.CreateFromPem(certPem, keyPem);
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException) // no key / another one's key
        {
            problems.Add($"ssl_key: \"{options.SslKey}\" holds no private key usable with the certificate in " +
                         $"ssl_cert \"{options.SslCert}\": {e.Message}");
            return null;
        }

        // The certificates after the first are the intermediates sent along with it.
        var intermediates = new X509Certificate2Collection();
        for (var i = 1; i < chain.Count; i++)
        {
            intermediates.Add(chain[i]);
        }

        return SslStreamCertificateContext.Create(leaf, intermediates, offline: true);
    }

    private static X509Certificate2Collection? ReadCertificates(string key, string path, List<string> problems) =>
        ReadFile(key, path, problems) is { } pem ? ParseCertificates(key, path, pem, problems) : null;

    private static X509Certificate2Collection? ParseCertificates(string key, string path, string pem,
        List<string> problems)
    {
        var certificates = new X509Certificate2Collection();
        try
        {
            certificates.ImportFromPem(pem);
        }
        catch (CryptographicException e)
        {
            problems.Add($"{key}: \"{path}\" is not a valid PEM certificate file: {e.Message}");
            return null;
        }

        if (certificates.Count == 0)
        {
            problems.Add($"{key}: \"{path}\" holds no PEM certificate (-----BEGIN CERTIFICATE-----)");
            return null;
        }

        return certificates;
    }

    private static string? ReadFile(string key, string path, List<string> problems)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            problems.Add($"{key}: cannot read \"{path}\": {e.Message}");
            return null;
        }
    }
}

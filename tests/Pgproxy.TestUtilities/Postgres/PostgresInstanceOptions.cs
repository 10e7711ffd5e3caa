using Pgproxy.TestUtilities.Tls;

namespace Pgproxy.TestUtilities.Postgres;

/// <summary>How to set up one throw-away PostgreSQL instance.</summary>
public sealed class PostgresInstanceOptions
{
    /// <summary>A short name used in the temp folder and in messages ("node0", "sysdb").</summary>
    public string Name { get; init; } = "pg";

    public int MaxConnections { get; init; } = 200;

    public string SharedBuffers { get; init; } = "32MB";

    /// <summary>Extra postgresql.conf settings (name → value as written in the file, quoted where needed).</summary>
    public IReadOnlyDictionary<string, string> Settings { get; init; } = new Dictionary<string, string>();

    /// <summary>
    /// The server certificate and key to turn <c>ssl</c> on with (written into the data folder as
    /// server.crt/server.key); null leaves TLS off.
    /// </summary>
    public IssuedCertificate? SslCertificate { get; init; }

    /// <summary>
    /// pg_hba.conf records put before initdb's own (which trust everyone, user postgres included, so the fixture
    /// keeps working): first match wins, so e.g. <c>host all alice 127.0.0.1/32 scram-sha-256</c> makes the node
    /// demand SCRAM from alice only. Use <see cref="Settings"/> for <c>password_encryption</c>.
    /// </summary>
    public IReadOnlyList<string> HbaLines { get; init; } = [];

    /// <summary>Databases to create after the first start.</summary>
    public IReadOnlyList<string> Databases { get; init; } = [];
}

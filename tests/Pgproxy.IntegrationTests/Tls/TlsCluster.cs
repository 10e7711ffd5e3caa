using Pgproxy.TestUtilities.Postgres;
using Pgproxy.TestUtilities.Tls;

namespace Pgproxy.IntegrationTests.Tls;

/// <summary>
/// One PostgreSQL node with <c>ssl = on</c>, a test CA that signed its certificate and pgproxy's, and the roles the
/// pool_hba.conf tests log in as.
/// </summary>
public sealed class TlsCluster : PgClusterFixture
{
    public TlsCluster()
        : base(1)
    {
        NodeCertificate = Pki.IssueServer();
        ProxyCertificate = Pki.IssueServer();
    }

    public TestPki Pki { get; } = TestPki.Create("itest");

    /// <summary>The certificate node 0 serves.</summary>
    public IssuedCertificate NodeCertificate { get; }

    /// <summary>The certificate pgproxy serves (ssl_cert/ssl_key).</summary>
    public IssuedCertificate ProxyCertificate { get; }

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        if (SkipReason is null)
        {
            foreach (var role in TlsHbaTests.Roles)
            {
                await Nodes[0].QueryAsync($"CREATE ROLE {role} LOGIN");
            }
        }
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        Pki.Dispose();
    }

    protected override PostgresInstanceOptions CreateNodeOptions(int index) =>
        new() { Name = $"tls{index}", SslCertificate = NodeCertificate };
}

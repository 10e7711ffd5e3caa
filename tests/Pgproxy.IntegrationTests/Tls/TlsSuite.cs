namespace Pgproxy.IntegrationTests.Tls;

/// <summary>The TLS tests share one node with ssl = on and run one after another.</summary>
[CollectionDefinition(Name)]
public sealed class TlsSuite : ICollectionFixture<TlsCluster>
{
    public const string Name = "Tls";
}

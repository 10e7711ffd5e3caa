namespace Pgproxy.IntegrationTests.Support;

/// <summary>
/// The catalog tests share one cluster with a system DB and run one after another (some stop the system DB or
/// a node for a while). Each test uses a schema of its own, so none sees another's rows.
/// </summary>
[CollectionDefinition(Name)]
public sealed class CatalogSuite : ICollectionFixture<TwoNodesWithSystemDb>
{
    public const string Name = "Catalog";
}

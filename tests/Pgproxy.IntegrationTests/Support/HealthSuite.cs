namespace Pgproxy.IntegrationTests.Support;

/// <summary>The health check tests share one two-node cluster they may stop, and run one after another.</summary>
[CollectionDefinition(Name)]
public sealed class HealthSuite : ICollectionFixture<HealthNodes>
{
    public const string Name = "Health";
}

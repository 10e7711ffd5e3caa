namespace Pgproxy.IntegrationTests.Support;

/// <summary>The Limits tests share one single-node cluster and run one after another.</summary>
[CollectionDefinition(Name)]
public sealed class LimitsSuite : ICollectionFixture<OneNode>
{
    public const string Name = "Limits";
}

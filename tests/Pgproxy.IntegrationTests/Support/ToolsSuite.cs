namespace Pgproxy.IntegrationTests.Support;

/// <summary>The Tools tests share one single-node cluster and run one after another.</summary>
[CollectionDefinition(Name)]
public sealed class ToolsSuite : ICollectionFixture<OneNode>
{
    public const string Name = "Tools";
}

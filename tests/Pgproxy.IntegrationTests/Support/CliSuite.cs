namespace Pgproxy.IntegrationTests.Support;

/// <summary>The Cli tests share one single-node cluster and run one after another.</summary>
[CollectionDefinition(Name)]
public sealed class CliSuite : ICollectionFixture<OneNode>
{
    public const string Name = "Cli";
}

namespace Pgproxy.IntegrationTests.Support;

/// <summary>The Npgsql tests share one single-node cluster and run one after another.</summary>
[CollectionDefinition(Name)]
public sealed class NpgsqlSuite : ICollectionFixture<OneNode>
{
    public const string Name = "Npgsql";
}

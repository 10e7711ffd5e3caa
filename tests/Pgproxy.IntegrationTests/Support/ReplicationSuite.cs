namespace Pgproxy.IntegrationTests.Support;

/// <summary>The replication tests share one two-node cluster and run one after another.</summary>
[CollectionDefinition(Name)]
public sealed class ReplicationSuite : ICollectionFixture<TwoNodes>
{
    public const string Name = "Replication";
}

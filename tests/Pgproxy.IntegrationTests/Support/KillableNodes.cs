using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Support;

/// <summary>
/// Two nodes that failover tests stop and start again: a cluster of its own, so no other suite loses a node.
/// </summary>
public sealed class KillableNodes() : PgClusterFixture(2);

/// <summary>The failover tests share one killable cluster and run one after another.</summary>
[CollectionDefinition(Name)]
public sealed class FailoverSuite : ICollectionFixture<KillableNodes>
{
    public const string Name = "Failover";
}

using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Support;

/// <summary>
/// Two nodes that failover tests stop and start again, and a system DB: a cluster of its own, so no other suite
/// loses a node. Each test keeps its catalog in a schema of its own.
/// </summary>
public sealed class KillableNodes() : PgClusterFixture(2, withSystemDb: true);

/// <summary>The failover tests share one killable cluster and run one after another.</summary>
[CollectionDefinition(Name)]
public sealed class FailoverSuite : ICollectionFixture<KillableNodes>
{
    public const string Name = "Failover";
}

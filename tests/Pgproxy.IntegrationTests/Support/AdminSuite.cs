namespace Pgproxy.IntegrationTests.Support;

/// <summary>
/// The admin tests (node commands, statistics, metrics, the node CLI) share one two-node cluster and run one
/// after another: detaching a node is only visible to the proxy that did it, never to other collections.
/// </summary>
[CollectionDefinition(Name)]
public sealed class AdminSuite : ICollectionFixture<TwoNodes>
{
    public const string Name = "Admin";
}

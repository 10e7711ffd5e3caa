namespace Pgproxy.IntegrationTests.Support;

/// <summary>
/// Online recovery (issue 15): one two-node cluster of its own, one test after another. Each test detaches node 1,
/// writes through pgproxy and recovers node 1 from node 0, so no test relies on what the previous one left.
/// </summary>
[CollectionDefinition(Name)]
public sealed class RecoverySuite : ICollectionFixture<TwoNodes>
{
    public const string Name = "Recovery";
}

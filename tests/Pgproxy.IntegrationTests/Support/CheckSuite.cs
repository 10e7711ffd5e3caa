namespace Pgproxy.IntegrationTests.Support;

/// <summary>
/// PGPROXY CHECK, SHOW POOL_CHECK, the checked ATTACH and the check CLI: one two-node cluster of their own, one
/// test after another. ATTACH compares every table of every database, so each test leaves the nodes identical.
/// </summary>
[CollectionDefinition(Name)]
public sealed class CheckSuite : ICollectionFixture<TwoNodes>
{
    public const string Name = "Check";
}

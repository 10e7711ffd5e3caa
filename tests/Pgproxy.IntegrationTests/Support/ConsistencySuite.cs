namespace Pgproxy.IntegrationTests.Support;

/// <summary>
/// The consistency comparer's tests share one two-node cluster, each test in a database of its own (the comparer
/// reads every table of a database).
/// </summary>
[CollectionDefinition(Name)]
public sealed class ConsistencySuite : ICollectionFixture<TwoNodes>
{
    public const string Name = "Consistency";
}

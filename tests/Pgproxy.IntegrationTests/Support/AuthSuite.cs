namespace Pgproxy.IntegrationTests.Support;

/// <summary>The Auth tests share one password-demanding node and run one after another.</summary>
[CollectionDefinition(Name)]
public sealed class AuthSuite : ICollectionFixture<AuthNode>
{
    public const string Name = "Auth";
}

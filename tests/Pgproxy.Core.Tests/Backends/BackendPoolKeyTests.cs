using Pgproxy.Core.Backends;

namespace Pgproxy.Core.Tests.Backends;

public sealed class BackendPoolKeyTests
{
    [Fact]
    public void From_SameParametersInAnotherOrder_GivesEqualKeys()
    {
        var a = BackendPoolKey.From("alice", "db", [new("application_name", "x"), new("client_encoding", "UTF8")]);
        var b = BackendPoolKey.From("alice", "db", [new("client_encoding", "UTF8"), new("application_name", "x")]);
        Assert.Equal(a, b);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
    }

    [Fact]
    public void From_DifferentApplicationName_GivesDifferentKeys()
    {
        var a = BackendPoolKey.From("alice", "db", [new("application_name", "x")]);
        var b = BackendPoolKey.From("alice", "db", [new("application_name", "y")]);
        Assert.NotEqual(a, b);
    }

    [Fact]
    public void StartupParameters_RoundTripUserDatabaseAndOthers()
    {
        var key = BackendPoolKey.From("alice", "db",
            [new("user", "alice"), new("database", "db"), new("options", "-c a=b=c"), new("application_name", "")]);
        var parameters = key.StartupParameters().Select(p => new KeyValuePair<string, string>(p.Name, p.Value));
        Assert.Equal(
            [new("user", "alice"), new("database", "db"), new("application_name", ""), new("options", "-c a=b=c")],
            parameters);
    }
}

using Pgproxy.Core.Operations;

namespace Pgproxy.Core.Tests.Admin;

public sealed class NodeCommandsTests
{
    [Theory]
    [InlineData("alice", "alice", true)]
    [InlineData("alice", "bob, alice ,carol", true)]
    [InlineData("alice", "\"alice\"", true)]
    [InlineData("alice", "Alice", false)]
    [InlineData("alice", "", false)]
    [InlineData("alice", " , ", false)]
    [InlineData("alice", "alicia,bob", false)]
    public void IsAdmin_MatchesExactNamesFromTheList(string user, string adminUsers, bool expected) =>
        Assert.Equal(expected, NodeCommands.IsAdmin(user, adminUsers));
}

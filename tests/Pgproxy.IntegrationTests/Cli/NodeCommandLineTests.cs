using Pgproxy.Cli;
using Pgproxy.Core.Config;

namespace Pgproxy.IntegrationTests.Cli;

/// <summary><c>pgproxy node …</c>: parsing, the address it picks from the configuration, its table.</summary>
public sealed class NodeCommandLineTests
{
    [Theory]
    [InlineData(new[] { "node", "list" }, "List", -1, null)]
    [InlineData(new[] { "-f", "x.conf", "node", "attach", "1" }, "Attach", 1, null)]
    [InlineData(new[] { "node", "detach", "0", "-U", "alice" }, "Detach", 0, "alice")]
    [InlineData(new[] { "-U", "bob", "node", "detach", "12" }, "Detach", 12, "bob")]
    [InlineData(new[] { "node", "list", "--username=carol" }, "List", -1, "carol")]
    [InlineData(new[] { "node", "list", "-u", "dave" }, "List", -1, "dave")]
    public void Parse_NodeCommands(string[] args, string action, int nodeId, string? user)
    {
        var command = CommandLine.Parse(args, out var error);

        Assert.Null(error);
        Assert.NotNull(command);
        Assert.Equal(CommandKind.Node, command.Kind);
        Assert.Equal(action, command.NodeAction.ToString());
        Assert.Equal(nodeId, command.NodeId);
        Assert.Equal(user, command.NodeUser);
        Assert.Null(command.PasswordUser);
    }

    [Theory]
    [InlineData(new[] { "node" }, "needs an action")]
    [InlineData(new[] { "node", "detach" }, "needs a node id")]
    [InlineData(new[] { "node", "attach", "x" }, "invalid node id \"x\"")]
    [InlineData(new[] { "node", "attach", "-1" }, "invalid node id \"-1\"")]
    [InlineData(new[] { "node", "remove", "1" }, "unknown node action \"remove\"")]
    [InlineData(new[] { "node", "list", "extra" }, "unrecognized argument \"extra\"")]
    [InlineData(new[] { "-U", "alice", "reload" }, "-U is only valid with \"node\" and \"check\"")]
    [InlineData(new[] { "node", "list", "-U" }, "requires a value")]
    [InlineData(new[] { "node", "detach", "1", "--force" }, "--force is only valid with \"node attach\"")]
    [InlineData(new[] { "reload", "--table", "t" }, "--table and --database are only valid with \"check\"")]
    [InlineData(new[] { "check", "--table" }, "requires a value")]
    public void Parse_MalformedNodeCommands_SayWhatIsWrong(string[] args, string message)
    {
        Assert.Null(CommandLine.Parse(args, out var error));
        Assert.Contains(message, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_CheckAndForcedAttach()
    {
        var check = CommandLine.Parse(["-f", "x.conf", "check", "-U", "alice", "--table", "a", "--table=s.b",
            "--database", "app"], out var error);
        Assert.Null(error);
        Assert.Equal(CommandKind.Check, check!.Kind);
        Assert.Equal("alice", check.NodeUser);
        Assert.Equal(["a", "s.b"], check.CheckTables);
        Assert.Equal(["app"], check.CheckDatabases);
        Assert.Equal("PGPROXY CHECK TABLE \"a\", \"s\".\"b\" DATABASE \"app\"", CheckCommand.Statement(check));

        var attach = CommandLine.Parse(["node", "attach", "1", "--force"], out error);
        Assert.Null(error);
        Assert.True(attach!.NodeForce);
    }

    [Fact]
    public void Usage_DocumentsTheNodeCommands()
    {
        Assert.Contains("node list | attach NODE_ID | detach NODE_ID [ -U USER ]", CommandLine.Usage,
            StringComparison.Ordinal);
        Assert.Contains("admin_users", CommandLine.Usage, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("127.0.0.1", "", "127.0.0.1", "127.0.0.1:6000")]
    [InlineData("*", "", "127.0.0.1", "127.0.0.1:6000")]
    [InlineData("localhost, 10.0.0.1", "", "127.0.0.1", "127.0.0.1:6000")]
    [InlineData("127.0.0.1", "/run/pgproxy, /tmp", "/run/pgproxy", "/run/pgproxy/.s.PGSQL.6000")]
    [InlineData("::1", "", "::1", "[::1]:6000")]
    public void ProxyAddress_PrefersTheUnixSocket_ElseTheFirstTcpAddress(string listen, string sockets,
        string host, string description)
    {
        var address = NodeCommand.ProxyAddress(
            new ProxyOptions { ListenAddresses = listen, UnixSocketDirectories = sockets, Port = 6000 });

        Assert.Equal((host, 6000, description), address);
    }

    [Fact]
    public void ProxyAddress_NoTcpAndNoSocket_IsNull() =>
        Assert.Null(NodeCommand.ProxyAddress(new ProxyOptions { ListenAddresses = "", UnixSocketDirectories = "" }));

    [Fact]
    public void FormatTable_AlignsColumnsLikePsql()
    {
        var text = NodeCommand.FormatTable(["node_id", "status"], [["0", "up"], ["1", "down"]]);

        Assert.Equal(
            "node_id | status\n" +
            "--------+-------\n" +
            "0       | up\n" +
            "1       | down\n" +
            "(2 rows)\n",
            text);
    }
}

using System.Text;
using Pgproxy.Core.Admin;

namespace Pgproxy.Core.Tests.Admin;

public sealed class CheckArgumentsTests
{
    [Theory]
    [InlineData("PGPROXY CHECK", "", "")]
    [InlineData("pgproxy check;", "", "")]
    [InlineData("PGPROXY CHECK TABLE accounts", "accounts", "")]
    [InlineData("PGPROXY CHECK TABLE Public.Accounts, \"Mixed Case\".\"T\"", "public.accounts|Mixed Case.T", "")]
    [InlineData("PGPROXY CHECK DATABASE app, \"Other\" TABLE t", "t", "app|Other")]
    [InlineData("PGPROXY CHECK TABLE \"with \"\"quote\"\"\"", "with \"quote\"", "")]
    public void Names_are_read_as_postgresql_reads_identifiers(string sql, string tables, string databases)
    {
        Assert.Equal(AdminCommand.Check, AdminCommandParser.ParseWithArguments(Body(sql), out var arguments));
        Assert.Null(arguments.Problem);
        Assert.Equal(tables, string.Join('|', arguments.Tables));
        Assert.Equal(databases, string.Join('|', arguments.Databases));
    }

    [Theory]
    [InlineData("PGPROXY CHECK TABLES t", "syntax error in PGPROXY CHECK at \"TABLES\"")]
    [InlineData("PGPROXY CHECK TABLE", "syntax error in PGPROXY CHECK at \"TABLE\"")]
    [InlineData("PGPROXY CHECK TABLE a,", "a name was expected")]
    [InlineData("PGPROXY CHECK TABLE \"unterminated", "a name was expected")]
    [InlineData("PGPROXY CHECK TABLE a; DROP TABLE b", "syntax error in PGPROXY CHECK at \";\"")]
    public void Malformed_arguments_are_still_pgproxys_command_with_the_problem_named(string sql, string problem)
    {
        Assert.Equal(AdminCommand.Check, AdminCommandParser.ParseWithArguments(Body(sql), out var arguments));
        Assert.Contains(problem, arguments.Problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("PGPROXY ATTACH NODE 1 FORCE", 1, true)]
    [InlineData("pgproxy attach node 2 force;", 2, true)]
    [InlineData("PGPROXY ATTACH NODE 1", 1, false)]
    [InlineData("PGPROXY ATTACH NODE 1 NOW", -1, false)]
    public void Attach_takes_force(string sql, int nodeId, bool force)
    {
        Assert.Equal(AdminCommand.AttachNode, AdminCommandParser.ParseWithArguments(Body(sql), out var arguments));
        Assert.Equal(nodeId, arguments.NodeId);
        Assert.Equal(force, arguments.Force);
    }

    [Fact]
    public void Detach_takes_no_force() =>
        Assert.Equal(AdminCommand.None, AdminCommandParser.ParseWithArguments(Body("PGPROXY DETACH NODE 1 FORCE"), out _));

    [Fact]
    public void Show_pool_check_is_recognised() =>
        Assert.Equal(AdminCommand.PoolCheck, AdminCommandParser.Parse(Body("SHOW POOL_CHECK")));

    private static byte[] Body(string sql) => [.. Encoding.UTF8.GetBytes(sql), 0];
}

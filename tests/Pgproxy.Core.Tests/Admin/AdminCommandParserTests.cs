using System.Text;
using Pgproxy.Core.Admin;

namespace Pgproxy.Core.Tests.Admin;

public sealed class AdminCommandParserTests
{
    [Theory]
    [InlineData("SHOW POOL_NODES", "PoolNodes")]
    [InlineData("show pool_nodes;", "PoolNodes")]
    [InlineData("  \n\tShow   Pool_Nodes ; ", "PoolNodes")]
    [InlineData("SHOW POOL_PROCESSES", "PoolProcesses")]
    [InlineData("SHOW POOL_POOLS", "PoolPools")]
    [InlineData("SHOW POOL_VERSION", "PoolVersion")]
    [InlineData("SHOW POOL_STATUS", "PoolStatus")]
    [InlineData("SHOW POOL_HEALTH_CHECK_STATS", "PoolHealthCheckStats")]
    [InlineData("SHOW POOL_BACKEND_STATS", "PoolBackendStats")]
    public void Parse_AdminCommand_IsRecognised(string sql, string expected) =>
        Assert.Equal(expected, AdminCommandParser.Parse(Body(sql)).ToString());

    [Theory]
    [InlineData("SELECT abalance FROM pgbench_accounts WHERE aid = 1;")]
    [InlineData("SHOW search_path")]
    [InlineData("SHOW POOL_NODES extra")]
    [InlineData("SHOW POOL_UNKNOWN")]
    [InlineData("SHOWPOOL_NODES")]
    [InlineData("")]
    [InlineData("sh")]
    public void Parse_OrdinarySql_IsLeftToPostgreSql(string sql) =>
        Assert.Equal(AdminCommand.None, AdminCommandParser.Parse(Body(sql)));

    /// <summary>A Query body: the text and its terminating NUL.</summary>
    private static byte[] Body(string sql) => [.. Encoding.UTF8.GetBytes(sql), 0];
}

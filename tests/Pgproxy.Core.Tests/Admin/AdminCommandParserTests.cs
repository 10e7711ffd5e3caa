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

    [Theory]
    [InlineData("PGPROXY ATTACH NODE 1", "AttachNode", 1)]
    [InlineData("pgproxy detach node 0;", "DetachNode", 0)]
    [InlineData("  \n Pgproxy   Detach\tNode   12 ; ", "DetachNode", 12)]
    [InlineData("PGPROXY ATTACH NODE x", "AttachNode", -1)]
    [InlineData("PGPROXY DETACH NODE -1", "DetachNode", -1)]
    [InlineData("PGPROXY DETACH NODE 99999999999", "DetachNode", -1)]
    public void Parse_NodeCommand_IsRecognisedWithItsNodeId(string sql, string expected, int nodeId)
    {
        Assert.Equal(expected, AdminCommandParser.Parse(Body(sql), out var parsedId).ToString());
        Assert.Equal(nodeId, parsedId);
    }

    [Theory]
    [InlineData("PGPROXY DETACH NODE")]
    [InlineData("PGPROXY DETACH NODE 1 2")]
    [InlineData("PGPROXY REMOVE NODE 1")]
    [InlineData("PGPROXY DETACH NODES 1")]
    [InlineData("PGPOOL DETACH NODE 1")]
    [InlineData("pg_terminate_backend(1)")]
    public void Parse_OtherPgproxyText_IsLeftToPostgreSql(string sql) =>
        Assert.Equal(AdminCommand.None, AdminCommandParser.Parse(Body(sql), out _));

    /// <summary>A Query body: the text and its terminating NUL.</summary>
    private static byte[] Body(string sql) => [.. Encoding.UTF8.GetBytes(sql), 0];
}

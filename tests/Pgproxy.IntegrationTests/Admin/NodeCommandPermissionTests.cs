using Npgsql;
using Pgproxy.Core.Config;
using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Admin;

/// <summary>A user outside admin_users is refused, and nothing changes.</summary>
[Collection(AdminSuite.Name)]
public sealed class NodeCommandPermissionTests(TwoNodes cluster) : AdminTestBase(cluster)
{
    protected override ProxyOptions Configure(ProxyOptions options) =>
        base.Configure(options) with { AdminUsers = "someone_else, another" };

    [PostgresTheory]
    [InlineData("PGPROXY DETACH NODE 1")]
    [InlineData("PGPROXY ATTACH NODE 1")]
    [InlineData("PGPROXY DETACH NODE 9")]
    public async Task NonAdmin_Gets42501_AndNodesStayAsTheyWere(string sql)
    {
        var error = await Assert.ThrowsAsync<PostgresException>(() => ExecuteAsync(sql));

        Assert.Equal("42501", error.SqlState);
        Assert.Contains("user \"postgres\" is not in admin_users", error.MessageText, StringComparison.Ordinal);
        Assert.Contains("admin_users", error.Hint, StringComparison.Ordinal);
        Assert.DoesNotContain("down", (await NodeStatusesAsync()).Values);
    }

    [PostgresFact]
    public async Task NonAdmin_Error_IsPgproxysOwn_WithoutPlpgsqlContext()
    {
        var error = await Assert.ThrowsAsync<PostgresException>(() => ExecuteAsync("PGPROXY DETACH NODE 1"));
        Assert.Equal("42501", error.SqlState);
        Assert.Null(error.Where); // no "PL/pgSQL function inline_code_block line 1 at RAISE"

        var result = await PgTools.PsqlAsync(Proxy.Port, "-At", "-c", "PGPROXY DETACH NODE 1");
        Assert.Contains("permission denied to detach node", result.StdErr, StringComparison.Ordinal);
        Assert.DoesNotContain("CONTEXT", result.StdErr, StringComparison.Ordinal);
        Assert.DoesNotContain("PL/pgSQL", result.StdErr, StringComparison.Ordinal);
    }

    [PostgresFact]
    public async Task NonAdmin_ThroughPsql_SeesTheError()
    {
        var result = await PgTools.PsqlAsync(Proxy.Port, "-At", "-c", "PGPROXY DETACH NODE 1");

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("permission denied to detach node", result.StdErr, StringComparison.Ordinal);
        Assert.DoesNotContain("down", (await NodeStatusesAsync()).Values);
    }
}

using Npgsql;
using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Npgsql;

/// <summary>pgproxy's own SHOW POOL_* commands, asked the way drivers and pgpool users ask them.</summary>
[Collection(NpgsqlSuite.Name)]
public sealed class AdminCommandTests(OneNode cluster) : ProxyTestBase(cluster)
{
    [PostgresFact]
    public async Task ShowPoolNodes_ThroughNpgsqlExtendedProtocol_ReturnsNode0()
    {
        await using var conn = await OpenAsync();
        await using var cmd = new NpgsqlCommand("SHOW POOL_NODES", conn);
        await using var reader = await cmd.ExecuteReaderAsync();

        Assert.Equal("node_id", reader.GetName(0));
        Assert.True(await reader.ReadAsync());
        Assert.Equal("0", reader.GetString(0));
        Assert.Equal("up", reader.GetString(reader.GetOrdinal("status")));
    }

    [PostgresFact]
    public async Task NonAdminDetach_OnOneNode_IsPgproxysOwnError_InBothProtocols_AndFailsTheTransaction()
    {
        await using var conn = await OpenAsync();
        await using (var cmd = new NpgsqlCommand("PGPROXY DETACH NODE 0", conn))
        {
            var error = await Assert.ThrowsAsync<PostgresException>(() => cmd.ExecuteNonQueryAsync());
            Assert.Equal("42501", error.SqlState);
            Assert.Contains("is not in admin_users", error.MessageText, StringComparison.Ordinal);
            Assert.Contains("admin_users", error.Hint, StringComparison.Ordinal);
            Assert.Null(error.Where); // no PL/pgSQL CONTEXT
        }

        await using (var tx = await conn.BeginTransactionAsync())
        {
            await using var detach = new NpgsqlCommand("PGPROXY DETACH NODE 0", conn);
            Assert.Equal("42501", (await Assert.ThrowsAsync<PostgresException>(() => detach.ExecuteNonQueryAsync())).SqlState);
            await using var select = new NpgsqlCommand("SELECT 1", conn);
            Assert.Equal("25P02", (await Assert.ThrowsAsync<PostgresException>(() => select.ExecuteScalarAsync())).SqlState);
            await tx.RollbackAsync();
        }

        var psql = await PgTools.PsqlAsync(Proxy.Port, "-At", "-c", "PGPROXY DETACH NODE 0");
        Assert.Contains("permission denied to detach node", psql.StdErr, StringComparison.Ordinal);
        Assert.DoesNotContain("CONTEXT", psql.StdErr, StringComparison.Ordinal);
        Assert.DoesNotContain("pgproxy admin error", psql.StdErr, StringComparison.Ordinal);
    }

    [PostgresFact]
    public async Task ShowPoolNodes_LowerCaseThroughPsql_ReturnsNode0()
    {
        var result = (await PgTools.PsqlAsync(Proxy.Port, "-At", "-F", "|", "-c", "show pool_nodes;")).EnsureSuccess();

        Assert.StartsWith("0|127.0.0.1|", result.StdOut, StringComparison.Ordinal);
    }

    [PostgresFact]
    public async Task ShowPoolStatus_ListsConfigurationInForce_WithPgpoolColumns()
    {
        await using var conn = await OpenAsync();
        await using var cmd = new NpgsqlCommand("SHOW POOL_STATUS", conn);
        await using var reader = await cmd.ExecuteReaderAsync();
        var items = new Dictionary<string, string>();
        while (await reader.ReadAsync())
        {
            items[reader.GetString(0)] = reader.GetString(1);
            Assert.False(string.IsNullOrWhiteSpace(reader.GetString(2)), $"{reader.GetString(0)} has no description");
        }

        Assert.Equal(["item", "value", "description"], [reader.GetName(0), reader.GetName(1), reader.GetName(2)]);
        Assert.Equal(Proxy.Server.Options.NumInitChildren.ToString(System.Globalization.CultureInfo.InvariantCulture),
            items["num_init_children"]);
        Assert.Equal(cluster.Nodes[0].Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            items["backend_port0"]);
    }
}

using Npgsql;
using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Admin;

/// <summary>PGPROXY DETACH NODE / ATTACH NODE through the proxy, checked against what each node really gets.</summary>
[Collection(AdminSuite.Name)]
public sealed class NodeCommandTests(TwoNodes cluster) : AdminTestBase(cluster)
{
    [PostgresFact]
    public async Task DetachByAdmin_NodeGoesDownAndStopsReceivingWrites_AttachBringsItBack()
    {
        var table = NodeSql.UniqueTable("detach");
        await ExecuteAsync($"CREATE TABLE {table} (id int PRIMARY KEY)");
        await ExecuteAsync($"INSERT INTO {table} VALUES (1)");
        await using var session = await OpenAsync();
        await using (var warm = new NpgsqlCommand("SELECT 1", session))
        {
            await warm.ExecuteScalarAsync();
        }

        // Extended protocol (Npgsql).
        string? detached;
        await using (var detach = new NpgsqlCommand("PGPROXY DETACH NODE 1", session))
        {
            detached = (string?)await detach.ExecuteScalarAsync();
        }

        Assert.Equal("pcp_detach_node -- Command Successful", detached);
        Assert.Equal("down", (await NodeStatusesAsync())[1]);
        Assert.Equal("up", (await NodeStatusesAsync())[0]);
        await ExecuteAsync($"INSERT INTO {table} VALUES (2)");
        await using (var sameSession = new NpgsqlCommand($"INSERT INTO {table} VALUES (3)", session))
        {
            await sameSession.ExecuteNonQueryAsync(); // a session that had node 1 drops it at its next statement
        }

        Assert.Equal(3, await NodeSql.CountAsync(Nodes[0], table));
        Assert.Equal(1, await NodeSql.CountAsync(Nodes[1], table));

        // Simple protocol (psql). Node 1 missed two inserts: compared with main first, it is refused; FORCE takes it.
        var refused = await PgTools.PsqlAsync(Proxy.Port, "-At", "-c", "pgproxy attach node 1;");
        Assert.False(refused.Succeeded);
        Assert.Contains($"cannot attach node 1: it differs from main (node 0) in", refused.StdErr, StringComparison.Ordinal);
        Assert.Contains(table, refused.StdErr, StringComparison.Ordinal);
        Assert.Equal("down", (await NodeStatusesAsync())[1]);
        var attach = (await PgTools.PsqlAsync(Proxy.Port, "-At", "-c", "pgproxy attach node 1 force;")).EnsureSuccess();

        Assert.Equal("pcp_attach_node -- Command Successful (attached with FORCE, not checked against main)",
            attach.StdOut.Trim());
        Assert.NotEqual("down", (await NodeStatusesAsync())[1]);
        await ExecuteAsync($"INSERT INTO {table} VALUES (4)");
        Assert.Equal(4, await NodeSql.CountAsync(Nodes[0], table));
        Assert.Equal(2, await NodeSql.CountAsync(Nodes[1], table));
        Assert.Equal(1L, await NodeSql.ScalarAsync<long>(Nodes[1], $"SELECT count(*) FROM {table} WHERE id = 4"));
        Assert.Equal("up", (await NodeStatusesAsync())[1]);
        await ExecuteAsync($"DROP TABLE {table}"); // the nodes differ in it: a later ATTACH in this cluster compares all
    }

    [PostgresFact]
    public async Task DetachOfTheLastLiveNode_IsRefusedWith55000()
    {
        await ExecuteAsync("PGPROXY DETACH NODE 0");

        var error = await Assert.ThrowsAsync<PostgresException>(() => ExecuteAsync("PGPROXY DETACH NODE 1"));

        Assert.Equal("55000", error.SqlState);
        Assert.Contains("last live node", error.MessageText, StringComparison.Ordinal);
        var statuses = await NodeStatusesAsync();
        Assert.Equal("down", statuses[0]);
        Assert.NotEqual("down", statuses[1]);
    }

    [PostgresFact]
    public async Task DetachOfADownNode_SucceedsAndSaysSo()
    {
        await ExecuteAsync("PGPROXY DETACH NODE 1");
        await using var conn = await OpenAsync();
        await using var cmd = new NpgsqlCommand("PGPROXY DETACH NODE 1", conn);

        var result = (string?)await cmd.ExecuteScalarAsync();

        Assert.Equal("pcp_detach_node -- Command Successful (node 1 was already down)", result);
    }

    [PostgresTheory]
    [InlineData("PGPROXY DETACH NODE 7", "node id 7 does not exist")]
    [InlineData("PGPROXY ATTACH NODE 128", "node id 128 does not exist")]
    [InlineData("PGPROXY DETACH NODE one", "invalid node id")]
    public async Task UnknownNode_Is22023(string sql, string message)
    {
        var error = await Assert.ThrowsAsync<PostgresException>(() => ExecuteAsync(sql));

        Assert.Equal("22023", error.SqlState);
        Assert.Contains(message, error.MessageText, StringComparison.Ordinal);
    }

    [PostgresFact]
    public async Task InsideATransaction_TheAnswerComesInOrder_AndTheTransactionGoesOn()
    {
        await using var conn = await OpenAsync();
        await using var tx = await conn.BeginTransactionAsync();
        await using (var detach = new NpgsqlCommand("PGPROXY DETACH NODE 1", conn, tx))
        {
            Assert.Equal("pcp_detach_node -- Command Successful", await detach.ExecuteScalarAsync());
        }

        await using (var select = new NpgsqlCommand("SELECT 41 + 1", conn, tx))
        {
            Assert.Equal(42, await select.ExecuteScalarAsync());
        }

        await tx.CommitAsync();
        Assert.Equal("down", (await NodeStatusesAsync())[1]);
    }
}

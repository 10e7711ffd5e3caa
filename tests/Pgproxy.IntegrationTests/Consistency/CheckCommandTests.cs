using Npgsql;
using Pgproxy.IntegrationTests.Admin;
using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Consistency;

/// <summary>
/// PGPROXY CHECK and SHOW POOL_CHECK through a two-node pgproxy (issue 14): what the check reports is also read
/// from each node directly. Every test leaves the nodes identical (ATTACH compares everything).
/// </summary>
[Collection(CheckSuite.Name)]
public sealed class CheckCommandTests(TwoNodes cluster) : AdminTestBase(cluster)
{
    [PostgresFact]
    public async Task Identical_nodes_are_reported_identical_with_the_pause_the_gate_held()
    {
        var table = NodeSql.UniqueTable("check_same");
        await ExecuteAsync($"CREATE TABLE {table} (id int PRIMARY KEY, v text, at timestamptz)");
        await ExecuteAsync($"INSERT INTO {table} SELECT g, 'v' || g, '2026-01-01'::timestamptz + g * interval '1 min' FROM generate_series(1, 2500) g");
        try
        {
            var summary = await CheckAsync($"PGPROXY CHECK TABLE {table}");

            Assert.Equal("identical", summary["state"]);
            Assert.Contains("identical", summary["detail"], StringComparison.Ordinal);
            Assert.Equal("0,1", summary["node_id"]);
            var rows = (await ShowAsync("POOL_CHECK")).Rows;
            Assert.Equal(1, rows.Count(r => r["table"] == $"public.{table}" && r["verdict"] == "same" && r["node_id"] == "1"));
            Assert.Equal(1, rows.Count(r => r["table"] == $"public.{table}" && r["verdict"] == "main" && r["node_id"] == "0"));
            Assert.All(rows.Where(r => r["table"] == $"public.{table}"), r => Assert.Equal("2500", r["rows_done"]));
            Assert.Equal(2500L, await NodeSql.CountAsync(Nodes[0], table));
            Assert.Equal(2500L, await NodeSql.CountAsync(Nodes[1], table));
        }
        finally
        {
            await ExecuteAsync($"DROP TABLE {table}");
        }
    }

    [PostgresFact]
    public async Task Rows_changed_on_one_node_directly_are_found_with_their_table_and_keys()
    {
        var table = NodeSql.UniqueTable("check_diff");
        await ExecuteAsync($"CREATE TABLE {table} (id int PRIMARY KEY, v int)");
        await ExecuteAsync($"INSERT INTO {table} SELECT g, g FROM generate_series(1, 100) g");
        await NodeSql.ExecuteAsync(Nodes[1], $"UPDATE {table} SET v = -1 WHERE id = 42");
        await NodeSql.ExecuteAsync(Nodes[1], $"DELETE FROM {table} WHERE id = 7");
        await NodeSql.ExecuteAsync(Nodes[1], $"INSERT INTO {table} VALUES (1000, 1000)");
        try
        {
            var summary = await CheckAsync($"PGPROXY CHECK TABLE {table}");

            Assert.Equal("differs", summary["state"]);
            var finding = Assert.Single((await ShowAsync("POOL_CHECK")).Rows,
                r => r["table"] == $"public.{table}" && r["verdict"] == "differs");
            Assert.Equal("1", finding["node_id"]);
            Assert.Contains("id=42", finding["detail"], StringComparison.Ordinal);
            Assert.Contains("id=7", finding["detail"], StringComparison.Ordinal);
            Assert.Contains("id=1000", finding["detail"], StringComparison.Ordinal);
            Assert.Equal(-1, await NodeSql.ScalarAsync<int>(Nodes[1], $"SELECT v FROM {table} WHERE id = 42"));
            Assert.Equal(42, await NodeSql.ScalarAsync<int>(Nodes[0], $"SELECT v FROM {table} WHERE id = 42"));
        }
        finally
        {
            await ExecuteAsync($"DROP TABLE {table}");
        }
    }

    [PostgresFact]
    public async Task A_stale_node_is_refused_at_attach_naming_the_table_and_force_attaches_it()
    {
        var table = NodeSql.UniqueTable("check_stale");
        await ExecuteAsync($"CREATE TABLE {table} (id int PRIMARY KEY)");
        await ExecuteAsync("PGPROXY DETACH NODE 1");
        await ExecuteAsync($"INSERT INTO {table} VALUES (1)");

        var refused = await Assert.ThrowsAsync<PostgresException>(() => ExecuteAsync("PGPROXY ATTACH NODE 1"));

        Assert.Equal("55000", refused.SqlState);
        Assert.Contains($"postgres.public.{table}", refused.MessageText, StringComparison.Ordinal);
        Assert.Contains("PGPROXY RECOVER NODE 1", refused.Hint, StringComparison.Ordinal);
        Assert.Equal("down", (await NodeStatusesAsync())[1]);
        Assert.Equal(0L, await NodeSql.CountAsync(Nodes[1], table));

        await using (var conn = await OpenAsync())
        await using (var force = new NpgsqlCommand("PGPROXY ATTACH NODE 1 FORCE", conn))
        {
            Assert.Equal("pcp_attach_node -- Command Successful (attached with FORCE, not checked against main)",
                (string?)await force.ExecuteScalarAsync());
        }

        Assert.NotEqual("down", (await NodeStatusesAsync())[1]);
        await NodeSql.ExecuteAsync(Nodes[1], $"INSERT INTO {table} VALUES (1)"); // repair, so the nodes match again
        await ExecuteAsync($"DROP TABLE {table}");
    }

    [PostgresFact]
    public async Task A_node_that_missed_no_write_is_attached_after_the_check()
    {
        var table = NodeSql.UniqueTable("check_clean");
        await ExecuteAsync($"CREATE TABLE {table} (id int PRIMARY KEY)");
        await ExecuteAsync($"INSERT INTO {table} VALUES (1)");
        await ExecuteAsync("PGPROXY DETACH NODE 1");
        await ExecuteAsync($"SELECT * FROM {table}"); // reads only

        // psql: the simple protocol.
        var attach = (await PgTools.PsqlAsync(Proxy.Port, "-At", "-c", "PGPROXY ATTACH NODE 1")).EnsureSuccess();

        Assert.Equal("pcp_attach_node -- Command Successful", attach.StdOut.Trim());
        Assert.NotEqual("down", (await NodeStatusesAsync())[1]);
        await ExecuteAsync($"INSERT INTO {table} VALUES (2)");
        Assert.Equal(2L, await NodeSql.CountAsync(Nodes[1], table));
        await ExecuteAsync($"DROP TABLE {table}");
    }

    [PostgresFact]
    public async Task Sessions_without_the_attached_node_are_ended_before_anything_of_theirs_commits()
    {
        var table = NodeSql.UniqueTable("check_stale_session");
        await ExecuteAsync($"CREATE TABLE {table} (id int PRIMARY KEY)");
        await ExecuteAsync("PGPROXY DETACH NODE 1");
        await using var idle = await OpenAsync();
        await using var inTransaction = await OpenAsync();
        await using (var begin = new NpgsqlCommand($"BEGIN; INSERT INTO {table} VALUES (1)", inTransaction))
        {
            await begin.ExecuteNonQueryAsync(); // on node 0 only: node 1 is down
        }

        await ExecuteAsync("PGPROXY ATTACH NODE 1"); // nothing committed: node 1 matches main

        var commit = await Assert.ThrowsAsync<PostgresException>(async () =>
        {
            await using var cmd = new NpgsqlCommand("COMMIT", inTransaction);
            await cmd.ExecuteNonQueryAsync();
        });
        Assert.Equal("57P01", commit.SqlState);
        Assert.Contains("backend node 1 was attached after this session connected", commit.MessageText, StringComparison.Ordinal);
        var write = await Assert.ThrowsAsync<PostgresException>(async () =>
        {
            await using var cmd = new NpgsqlCommand($"INSERT INTO {table} VALUES (2)", idle);
            await cmd.ExecuteNonQueryAsync();
        });
        Assert.Equal("57P01", write.SqlState);
        Assert.Equal(0L, await NodeSql.CountAsync(Nodes[0], table));
        Assert.Equal(0L, await NodeSql.CountAsync(Nodes[1], table));

        await ExecuteAsync($"INSERT INTO {table} VALUES (3)"); // a new session has both nodes
        Assert.Equal(1L, await NodeSql.CountAsync(Nodes[0], table));
        Assert.Equal(1L, await NodeSql.CountAsync(Nodes[1], table));
        await ExecuteAsync($"DROP TABLE {table}");
    }

    /// <summary>
    /// A session that had node 1 before it was detached keeps no claim on it: its connection was aborted at the
    /// detach, and the node attached again went on without the session. Its next write is ended (57P01) instead
    /// of going down the dead connection, which took the node out again for everyone (broken pipe) right after a
    /// recovery.
    /// </summary>
    [PostgresFact]
    public async Task A_session_that_had_the_node_before_its_detach_is_ended_and_does_not_take_the_node_out_again()
    {
        var table = NodeSql.UniqueTable("check_outlived_link");
        await ExecuteAsync($"CREATE TABLE {table} (id int PRIMARY KEY)");
        await using var before = await OpenAsync();
        await using (var write = new NpgsqlCommand($"INSERT INTO {table} VALUES (1)", before))
        {
            await write.ExecuteNonQueryAsync(); // both nodes
        }

        await ExecuteAsync("PGPROXY DETACH NODE 1");
        await using (var write = new NpgsqlCommand($"INSERT INTO {table} VALUES (2)", before))
        {
            await write.ExecuteNonQueryAsync(); // node 0 only
        }

        await NodeSql.ExecuteAsync(Nodes[1], $"INSERT INTO {table} VALUES (2)"); // node 1 brought level by hand
        await ExecuteAsync("PGPROXY ATTACH NODE 1 FORCE");

        var ended = await Assert.ThrowsAsync<PostgresException>(async () =>
        {
            await using var cmd = new NpgsqlCommand($"INSERT INTO {table} VALUES (3)", before);
            await cmd.ExecuteNonQueryAsync();
        });
        Assert.Equal("57P01", ended.SqlState);
        Assert.NotEqual("down", (await NodeStatusesAsync())[1]);
        await ExecuteAsync($"INSERT INTO {table} VALUES (4)"); // a new session writes to both
        Assert.NotEqual("down", (await NodeStatusesAsync())[1]);
        foreach (var node in Nodes)
        {
            Assert.Equal("1,2,4", await NodeSql.ScalarAsync<string>(node,
                $"SELECT string_agg(id::text, ',' ORDER BY id) FROM {table}"));
        }

        await ExecuteAsync($"DROP TABLE {table}");
    }

    [PostgresFact]
    public async Task A_second_check_while_one_runs_is_refused_and_a_non_admin_may_not_check()
    {
        var error = await Assert.ThrowsAsync<PostgresException>(() => ExecuteAsync("PGPROXY CHECK TABLE a,"));
        Assert.Equal("42601", error.SqlState);

        await using var conn = await OpenAsync(b => b.Username = "postgres");
        await using var cmd = new NpgsqlCommand("PGPROXY CHECK", conn);
        await cmd.ExecuteScalarAsync();
        // Whichever wins, a second one at once finds it running (or it ended already: then it starts).
        try
        {
            await ExecuteAsync("PGPROXY CHECK");
        }
        catch (PostgresException busy)
        {
            Assert.Equal("55006", busy.SqlState);
            Assert.Contains("SHOW POOL_CHECK", busy.Hint, StringComparison.Ordinal);
        }

        await WaitForCheckAsync();
    }

    /// <summary>Starts a check, waits for its end, and returns SHOW POOL_CHECK's summary row.</summary>
    private async Task<Dictionary<string, string>> CheckAsync(string sql)
    {
        string runId;
        await using (var conn = await OpenAsync())
        await using (var cmd = new NpgsqlCommand(sql, conn))
        await using (var reader = await cmd.ExecuteReaderAsync())
        {
            Assert.True(await reader.ReadAsync());
            runId = reader.GetString(reader.GetOrdinal("run_id"));
        }

        var summary = await WaitForCheckAsync();
        Assert.Equal(runId, summary["run_id"]);
        return summary;
    }

    private async Task<Dictionary<string, string>> WaitForCheckAsync()
    {
        Dictionary<string, string>? summary = null;
        await Poll.UntilAsync(async () =>
        {
            summary = (await ShowAsync("POOL_CHECK")).Rows[0];
            return summary["state"] != "running";
        }, TimeSpan.FromSeconds(60), "the consistency check to end");
        return summary!;
    }
}

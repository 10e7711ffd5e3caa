using Npgsql;
using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Replication;

/// <summary>
/// Job queues lock their next row with SELECT … FOR UPDATE SKIP LOCKED: which row is free depends on the moment,
/// so main alone runs the SELECT and the UPDATE by key that follows replicates in main's order. A write that
/// chooses its rows with SKIP LOCKED itself is refused (each node would pick its own).
/// </summary>
[Collection(ReplicationSuite.Name)]
public sealed class SkipLockedTests(TwoNodes cluster) : ReplicationTestBase(cluster)
{
    [PostgresFact]
    public async Task Sixteen_queue_workers_take_every_job_once_and_the_nodes_agree_on_who_took_which()
    {
        var jobs = await CreateReplicatedTableAsync("jobs", "id int primary key, taken_by int");
        await ExecuteOnProxyAsync($"INSERT INTO {jobs} SELECT generate_series(1, 400)");
        var script = Path.Combine(Path.GetTempPath(), $"{jobs}.sql");
        await File.WriteAllTextAsync(script, string.Join('\n',
            "BEGIN;",
            $"SELECT id AS job FROM {jobs} WHERE taken_by IS NULL ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED \\gset",
            $"UPDATE {jobs} SET taken_by = :client_id WHERE id = :job;",
            "COMMIT;",
            ""));
        try
        {
            var run = await PgTools.PgbenchAsync(Proxy.Port, "-n", "-M", "simple", "-c", "16", "-j", "2", "-t", "20",
                "-f", script);
            Assert.True(run.ExitCode == 0, run.StdOut + run.StdErr);
            Assert.Contains("number of failed transactions: 0", run.StdOut, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(script);
        }

        // Extended protocol (Npgsql) too: one more worker takes one job.
        await using (var conn = await OpenAsync())
        await using (var tx = await conn.BeginTransactionAsync())
        {
            await using var take = new NpgsqlCommand(
                $"SELECT id FROM {jobs} WHERE taken_by IS NULL ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED", conn, tx);
            var job = (int)(await take.ExecuteScalarAsync())!;
            await using var mark = new NpgsqlCommand($"UPDATE {jobs} SET taken_by = 99 WHERE id = @id", conn, tx);
            mark.Parameters.AddWithValue("id", job);
            Assert.Equal(1, await mark.ExecuteNonQueryAsync());
            await tx.CommitAsync();
        }

        Assert.Equal(400, await AssertNodesIdenticalAsync(jobs, "id"));
        foreach (var node in Nodes)
        {
            Assert.Equal(16 * 20 + 1, await NodeSql.ScalarAsync<long>(node,
                $"SELECT count(*) FROM {jobs} WHERE taken_by IS NOT NULL"));
        }
    }

    [PostgresFact]
    public async Task A_write_that_picks_its_rows_with_skip_locked_is_refused_and_changes_nothing()
    {
        var jobs = await CreateReplicatedTableAsync("jobw", "id int primary key, taken_by int");
        await ExecuteOnProxyAsync($"INSERT INTO {jobs} SELECT generate_series(1, 5)");
        var sql = $"UPDATE {jobs} SET taken_by = 1 WHERE id = " +
                  $"(SELECT id FROM {jobs} WHERE taken_by IS NULL LIMIT 1 FOR UPDATE SKIP LOCKED)";

        var psql = await PgTools.PsqlAsync(Proxy.Port, "-v", "ON_ERROR_STOP=1", "-v", "VERBOSITY=verbose", "-c", sql);
        Assert.False(psql.Succeeded);
        Assert.Contains("0A000", psql.StdErr, StringComparison.Ordinal);
        Assert.Contains("SKIP LOCKED", psql.StdErr, StringComparison.Ordinal);

        await using var conn = await OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        var error = await Assert.ThrowsAsync<PostgresException>(() => cmd.ExecuteNonQueryAsync());
        Assert.Equal("0A000", error.SqlState);

        foreach (var node in Nodes)
        {
            Assert.Equal(0L, await NodeSql.ScalarAsync<long>(node, $"SELECT count(taken_by) FROM {jobs}"));
        }
    }
}

using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Recovery;

/// <summary>
/// <c>pgproxy node recover N</c> and PGPROXY RECOVER NODE / SHOW POOL_RECOVERY against a running pgproxy process: a
/// detached node that missed writes comes back identical, read from each node directly.
/// </summary>
[Collection(RecoverySuite.Name)]
public sealed class RecoverCliTests(TwoNodes cluster)
{
    [PostgresFact]
    public async Task A_detached_node_that_missed_writes_is_recovered_by_the_cli_and_verified()
    {
        await StartNodesAsync();

        var table = NodeSql.UniqueTable("recover_cli");
        await using var pgproxy = new PgproxyProcess(cluster, [new("admin_users", "'postgres'")]);
        (await pgproxy.RunAsync("-D")).EnsureSuccess();
        await pgproxy.WaitUntilAcceptingAsync();
        (await PgTools.PsqlAsync(pgproxy.Port, "-c", $"CREATE TABLE {table} (id serial PRIMARY KEY, v text)")).EnsureSuccess();
        (await CliAsync(pgproxy, "node", "detach", "1", "-U", "postgres")).EnsureSuccess();
        (await PgTools.PsqlAsync(pgproxy.Port, "-c",
            $"INSERT INTO {table} (v) SELECT 'row ' || g FROM generate_series(1, 1000) g")).EnsureSuccess();

        var up = await CliAsync(pgproxy, "node", "recover", "1", "--wipe", "-U", "postgres");

        Assert.True(up.ExitCode == 0, up.StdOut + up.StdErr);
        Assert.Contains("node 1 recovered, attached and verified", up.StdOut, StringComparison.Ordinal);
        var status = (await PgTools.PsqlAsync(pgproxy.Port, "-At", "-c", "SHOW POOL_RECOVERY")).EnsureSuccess();
        Assert.StartsWith("1|succeeded|", status.StdOut, StringComparison.Ordinal);
        foreach (var node in cluster.Nodes)
        {
            Assert.Equal(1000L, await NodeSql.CountAsync(node, table));
        }

        Assert.Equal(1000L, await NodeSql.ScalarAsync<long>(cluster.Nodes[1], $"SELECT last_value FROM {table}_id_seq"));
        (await PgTools.PsqlAsync(pgproxy.Port, "-c", $"INSERT INTO {table} (v) VALUES ('after')")).EnsureSuccess();
        Assert.Equal(1001, await NodeSql.ScalarAsync<int>(cluster.Nodes[1], $"SELECT id FROM {table} WHERE v = 'after'"));

        var notDown = await CliAsync(pgproxy, "node", "recover", "1", "-U", "postgres");
        Assert.Equal(1, notDown.ExitCode);
        Assert.Contains("node 1 is not down", notDown.StdErr, StringComparison.Ordinal);
        (await PgTools.PsqlAsync(pgproxy.Port, "-c", $"DROP TABLE {table}")).EnsureSuccess();
    }

    /// <summary>
    /// Node 0 recovered while node 1 is main: attached, node 0 is main again, and the check after the attach compared
    /// it with node 1 instead of reporting the recovery failed ("node 0 is main: there is nothing to compare it with").
    /// </summary>
    [PostgresFact]
    public async Task Node_zero_recovered_from_node_one_is_verified_against_it()
    {
        await StartNodesAsync();

        var table = NodeSql.UniqueTable("recover_zero");
        await using var pgproxy = new PgproxyProcess(cluster, [new("admin_users", "'postgres'")]);
        (await pgproxy.RunAsync("-D")).EnsureSuccess();
        await pgproxy.WaitUntilAcceptingAsync();
        (await PgTools.PsqlAsync(pgproxy.Port, "-c", $"CREATE TABLE {table} (id serial PRIMARY KEY, v text)")).EnsureSuccess();
        (await CliAsync(pgproxy, "node", "detach", "0", "-U", "postgres")).EnsureSuccess();
        (await PgTools.PsqlAsync(pgproxy.Port, "-c",
            $"INSERT INTO {table} (v) SELECT 'row ' || g FROM generate_series(1, 500) g")).EnsureSuccess();

        var up = await CliAsync(pgproxy, "node", "recover", "0", "--wipe", "-U", "postgres");

        Assert.True(up.ExitCode == 0, up.StdOut + up.StdErr);
        Assert.Contains("node 0 recovered, attached and verified", up.StdOut, StringComparison.Ordinal);
        foreach (var node in cluster.Nodes)
        {
            Assert.Equal(500L, await NodeSql.CountAsync(node, table));
        }

        (await PgTools.PsqlAsync(pgproxy.Port, "-c", $"DROP TABLE {table}")).EnsureSuccess();
    }

    /// <summary>Starts the nodes an earlier test of the suite may have stopped.</summary>
    private async Task StartNodesAsync()
    {
        await NodeSql.StartStoppedAsync(cluster.Nodes);
    }

    private static Task<ProcessResult> CliAsync(PgproxyProcess pgproxy, params string[] arguments) =>
        PgproxyCli.AgainstAsync(pgproxy, TimeSpan.FromMinutes(3), null, arguments);
}

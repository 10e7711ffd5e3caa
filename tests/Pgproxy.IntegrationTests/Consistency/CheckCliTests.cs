using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Consistency;

/// <summary><c>pgproxy check</c> against a running pgproxy process: exit 0 identical, 1 differs, 2 could not check.</summary>
[Collection(CheckSuite.Name)]
public sealed class CheckCliTests(TwoNodes cluster)
{
    [PostgresFact]
    public async Task Exit_codes_say_identical_different_or_could_not_check()
    {
        var table = NodeSql.UniqueTable("check_cli");
        foreach (var node in cluster.Nodes)
        {
            await NodeSql.ExecuteAsync(node, $"CREATE TABLE {table} (id int PRIMARY KEY, v text)");
            await NodeSql.ExecuteAsync(node, $"INSERT INTO {table} SELECT g, md5(g::text) FROM generate_series(1, 500) g");
        }

        await using var pgproxy = new PgproxyProcess(cluster, [new("admin_users", "'postgres'")]);
        (await pgproxy.RunAsync()).EnsureSuccess();
        await pgproxy.WaitUntilAcceptingAsync();
        try
        {
            var same = await CheckAsync(pgproxy, "check", "-U", "postgres", "--table", table);

            Assert.True(same.ExitCode == 0, same.StdErr + same.StdOut);
            Assert.Contains("identical", same.StdOut, StringComparison.Ordinal);

            await NodeSql.ExecuteAsync(cluster.Nodes[1], $"UPDATE {table} SET v = 'changed' WHERE id = 250");
            var differs = await CheckAsync(pgproxy, "check", "-U", "postgres", "--table", table, "--database", "postgres");

            Assert.True(differs.ExitCode == 1, differs.StdErr + differs.StdOut);
            Assert.Contains($"postgres | public.{table} | 1", differs.StdOut, StringComparison.Ordinal);
            Assert.Contains("id=250", differs.StdOut, StringComparison.Ordinal);

            var unknown = await CheckAsync(pgproxy, "check", "-U", "postgres", "--database", "no_such_db");

            Assert.Equal(2, unknown.ExitCode);
            Assert.Contains("database \"no_such_db\" does not exist on main", unknown.StdErr, StringComparison.Ordinal);
        }
        finally
        {
            foreach (var node in cluster.Nodes)
            {
                await NodeSql.ExecuteAsync(node, $"DROP TABLE IF EXISTS {table}");
            }
        }
    }

    [PostgresFact]
    public async Task Without_pgproxy_running_it_exits_two()
    {
        await using var pgproxy = new PgproxyProcess(cluster);

        var result = await CheckAsync(pgproxy, "check", "-U", "postgres");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("is pgproxy running?", result.StdErr, StringComparison.Ordinal);
    }

    private static Task<ProcessResult> CheckAsync(PgproxyProcess pgproxy, params string[] arguments) =>
        PgproxyCli.AgainstAsync(pgproxy, PgproxyCli.CommandTimeout, null, arguments);
}

using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Admin;

/// <summary><c>pgproxy node list|attach|detach</c> against a running pgproxy process in front of two nodes.</summary>
[Collection(AdminSuite.Name)]
public sealed class NodeCliTests(TwoNodes cluster)
{
    [PostgresFact]
    public async Task ListDetachAttach_AgainstARunningPgproxy()
    {
        await using var pgproxy = new PgproxyProcess(cluster, [new("admin_users", "'postgres'")]);
        (await pgproxy.RunAsync()).EnsureSuccess();
        await pgproxy.WaitUntilAcceptingAsync();

        var list = await NodeAsync(pgproxy, "node", "list", "-U", "postgres");

        Assert.True(list.Succeeded, list.StdErr);
        var lines = list.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("node_id | hostname", lines[0], StringComparison.Ordinal);
        Assert.Matches($@"^0\s+\| 127\.0\.0\.1 \| {cluster.Nodes[0].Port} \| up\s+\|", lines[2]);
        Assert.Matches($@"^1\s+\| 127\.0\.0\.1 \| {cluster.Nodes[1].Port} \| (up|waiting)\s+\|", lines[3]);
        Assert.Equal("(2 rows)", lines[^1]);

        var detach = await NodeAsync(pgproxy, "node", "detach", "1", "-U", "postgres");

        Assert.True(detach.Succeeded, detach.StdErr);
        Assert.Equal("pcp_detach_node -- Command Successful\n", detach.StdOut);
        var afterDetach = await NodeAsync(pgproxy, "node", "list", "-U", "postgres");
        Assert.Matches(@"\n1\s+\|[^\n]*\| down\s+\|", afterDetach.StdOut);

        // PGUSER is the default user.
        var last = await NodeAsync(pgproxy, new Dictionary<string, string?> { ["PGUSER"] = "postgres" },
            "node", "detach", "0");

        Assert.Equal(1, last.ExitCode);
        Assert.Contains("cannot detach node 0: it is the last live node", last.StdErr, StringComparison.Ordinal);

        var attach = await NodeAsync(pgproxy, "node", "attach", "1", "-U", "postgres");

        Assert.True(attach.Succeeded, attach.StdErr);
        Assert.Equal("pcp_attach_node -- Command Successful\n", attach.StdOut);
        Assert.DoesNotMatch(@"\| down\s+\|", (await NodeAsync(pgproxy, "node", "list", "-U", "postgres")).StdOut);

        var unknown = await NodeAsync(pgproxy, "node", "detach", "5", "-U", "postgres");

        Assert.Equal(1, unknown.ExitCode);
        Assert.Contains("node id 5 does not exist", unknown.StdErr, StringComparison.Ordinal);
    }

    [PostgresFact]
    public async Task DetachByAUserOutsideAdminUsers_ExitsOneSayingWhy()
    {
        const string role = "pgproxy_cli_nonadmin";
        foreach (var node in cluster.Nodes)
        {
            await NodeSql.ExecuteAsync(node,
                $"DO $$BEGIN CREATE ROLE {role} LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END$$");
        }

        await using var pgproxy = new PgproxyProcess(cluster, [new("admin_users", "'postgres'")]);
        (await pgproxy.RunAsync()).EnsureSuccess();
        await pgproxy.WaitUntilAcceptingAsync();

        var refused = await NodeAsync(pgproxy, "node", "detach", "1", "-U", role);
        var list = await NodeAsync(pgproxy, "node", "list", "-U", role);

        Assert.Equal(1, refused.ExitCode);
        Assert.Contains($"permission denied to detach node: user \"{role}\" is not in admin_users (SQLSTATE 42501)",
            refused.StdErr, StringComparison.Ordinal);
        Assert.Contains("HINT: list the user in admin_users", refused.StdErr, StringComparison.Ordinal);
        Assert.True(list.Succeeded, list.StdErr);
        Assert.DoesNotMatch(@"\| down\s+\|", list.StdOut);
    }

    [PostgresFact]
    public async Task ProxyNotRunning_ExitsOneSayingSo()
    {
        await using var pgproxy = new PgproxyProcess(cluster);

        var result = await NodeAsync(pgproxy, "node", "list", "-U", "postgres");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"could not talk to pgproxy at 127.0.0.1:{pgproxy.Port}", result.StdErr,
            StringComparison.Ordinal);
        Assert.Contains("is pgproxy running?", result.StdErr, StringComparison.Ordinal);
        Assert.Equal("", result.StdOut);
    }

    private static Task<ProcessResult> NodeAsync(PgproxyProcess pgproxy, params string[] arguments) =>
        NodeAsync(pgproxy, new Dictionary<string, string?>(), arguments);

    private static Task<ProcessResult> NodeAsync(PgproxyProcess pgproxy, Dictionary<string, string?> environment,
        params string[] arguments) =>
        PgproxyCli.AgainstAsync(pgproxy, PgproxyCli.CommandTimeout, environment, arguments);
}

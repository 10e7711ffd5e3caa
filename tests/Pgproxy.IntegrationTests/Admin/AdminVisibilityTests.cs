using System.Globalization;
using Npgsql;
using Pgproxy.Core.Config;
using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Admin;

/// <summary>
/// What a user outside admin_users may learn through the admin commands: configuration with every credential
/// masked, and only its own user's sessions; a user in admin_users sees every session.
/// </summary>
[Collection(AdminSuite.Name)]
public sealed class AdminVisibilityTests(TwoNodes cluster) : AdminTestBase(cluster)
{
    private const string Viewer = "pgproxy_pool_viewer";

    protected override ProxyOptions Configure(ProxyOptions options) => base.Configure(options) with
    {
        FailoverCommand = "curl -s -u ops:fo-s3cret https://ops:fo-s3cret@alerts.example.com/down/%d",
        FailbackCommand = "PGPASSWORD=fb-s3cret psql 'postgresql://repl:fb-s3cret@%h:%p/postgres' -c 'select 1'",
    };

    [PostgresFact]
    public async Task NonAdmin_SeesFailoverCommandsWithTheirCredentialsMasked()
    {
        await CreateViewerAsync();
        await using var viewer = await OpenAsync(b => b.Username = Viewer);

        var (_, rows) = await ShowAsync("POOL_STATUS", viewer);

        var values = rows.ToDictionary(r => r["item"], r => r["value"]);
        Assert.Equal("curl -s -u ops:******** https://ops:********@alerts.example.com/down/%d",
            values["failover_command"]);
        Assert.Equal("PGPASSWORD=******** psql 'postgresql://repl:********@%h:%p/postgres' -c 'select 1'",
            values["failback_command"]);
        Assert.DoesNotContain(rows, r => r["value"].Contains("s3cret", StringComparison.Ordinal));
    }

    [PostgresFact]
    public async Task NonAdmin_SeesOnlyItsOwnSessions_AdminSeesEveryone()
    {
        await CreateViewerAsync();
        await using var admin = await OpenAsync();
        await using var viewerA = await OpenAsync(b => b.Username = Viewer);
        await using var viewerB = await OpenAsync(b => b.Username = Viewer);
        // A closed admin session leaves its connections in the cache, owned by postgres.
        await (await OpenAsync()).DisposeAsync();
        await Poll.UntilAsync(() => Proxy.Server.Runtime.Pool.IdleCount == 2, TimeSpan.FromSeconds(10),
            "the closed session's two connections in the cache");
        var adminPid = await ProxyPidAsync(admin);
        var viewerPids = new[] { await ProxyPidAsync(viewerA), await ProxyPidAsync(viewerB) };

        var viewerPools = (await ShowAsync("POOL_POOLS", viewerA)).Rows;
        var viewerProcesses = (await ShowAsync("POOL_PROCESSES", viewerA)).Rows;
        var adminPools = (await ShowAsync("POOL_POOLS", admin)).Rows;
        var adminProcesses = (await ShowAsync("POOL_PROCESSES", admin)).Rows;

        Assert.All(viewerPools, r => Assert.Equal(Viewer, r["username"]));
        Assert.Equal(viewerPids.Select(Invariant).Order(),
            viewerPools.Select(r => r["pool_pid"]).Distinct().Order());
        Assert.All(viewerProcesses, r => Assert.Equal(Viewer, r["username"]));
        Assert.Equal(viewerPids.Select(Invariant).Order(), viewerProcesses.Select(r => r["pool_pid"]).Order());

        Assert.Equal(viewerPids.Append(adminPid).Select(Invariant).Order(),
            adminProcesses.Select(r => r["pool_pid"]).Order());
        Assert.Equal(viewerPids.Append(adminPid).Append(0).Select(Invariant).Order(),
            adminPools.Select(r => r["pool_pid"]).Distinct().Order());
        Assert.Contains(adminPools, r => r["pool_pid"] == "0" && r["username"] == "postgres");
    }

    private async Task CreateViewerAsync()
    {
        foreach (var node in Nodes)
        {
            await NodeSql.ExecuteAsync(node,
                $"DO $$BEGIN CREATE ROLE {Viewer} LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END$$");
        }
    }

    /// <summary>The pid pgproxy gave the connection (its BackendKeyData), as pool_pid shows it.</summary>
    private static async Task<int> ProxyPidAsync(NpgsqlConnection conn)
    {
        await using var cmd = new NpgsqlCommand("SELECT 1", conn);
        await cmd.ExecuteScalarAsync();
        return conn.ProcessID;
    }

    private static string Invariant(int value) => value.ToString(CultureInfo.InvariantCulture);
}

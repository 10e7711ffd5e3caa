using System.Globalization;
using Npgsql;
using Pgproxy.Core.Config;
using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Admin;

/// <summary>
/// A fresh in-process pgproxy in front of both nodes per test, with <c>postgres</c> (the tests' user) in
/// admin_users and a private work_dir, so a node detached here is never remembered anywhere else.
/// </summary>
public abstract class AdminTestBase(TwoNodes cluster) : ProxyTestBase(cluster), IDisposable
{
    private readonly string _workDir = Directory.CreateTempSubdirectory("pgproxy-admin-").FullName;

    protected IReadOnlyList<PostgresInstance> Nodes => cluster.Nodes;

    protected PgClusterFixture Cluster => cluster;

    protected override ProxyOptions Configure(ProxyOptions options) =>
        options with { AdminUsers = "postgres", WorkDir = _workDir };

    /// <summary>Runs a statement through the proxy on a new connection.</summary>
    protected async Task ExecuteAsync(string sql)
    {
        await using var conn = await OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        await cmd.ExecuteNonQueryAsync();
    }

    /// <summary>A SHOW POOL_* report through the proxy: one dictionary (column → text) per row.</summary>
    protected async Task<(List<string> Columns, List<Dictionary<string, string>> Rows)> ShowAsync(string what,
        NpgsqlConnection? connection = null)
    {
        var conn = connection ?? await OpenAsync();
        try
        {
            await using var cmd = new NpgsqlCommand("SHOW " + what, conn);
            await using var reader = await cmd.ExecuteReaderAsync();
            var columns = Enumerable.Range(0, reader.FieldCount).Select(reader.GetName).ToList();
            var rows = new List<Dictionary<string, string>>();
            while (await reader.ReadAsync())
            {
                rows.Add(columns.Select((c, i) => (c, reader.IsDBNull(i) ? "" : reader.GetString(i)))
                    .ToDictionary(p => p.c, p => p.Item2));
            }

            return (columns, rows);
        }
        finally
        {
            if (connection is null)
            {
                await conn.DisposeAsync();
            }
        }
    }

    /// <summary>SHOW POOL_NODES' status of every node, by node id.</summary>
    protected async Task<Dictionary<int, string>> NodeStatusesAsync() =>
        (await ShowAsync("POOL_NODES")).Rows.ToDictionary(
            r => int.Parse(r["node_id"], CultureInfo.InvariantCulture), r => r["status"]);

    public void Dispose()
    {
        try
        {
            Directory.Delete(_workDir, recursive: true);
        }
        catch (IOException)
        {
        }

        GC.SuppressFinalize(this);
    }
}

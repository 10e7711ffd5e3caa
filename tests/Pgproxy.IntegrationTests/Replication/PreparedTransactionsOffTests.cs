using Npgsql;
using Pgproxy.Core.Config;
using Pgproxy.Core.Logging;
using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Logging;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Replication;

/// <summary>
/// A node that cannot prepare transactions (<c>max_prepared_transactions = 0</c>, PostgreSQL's default), issue 13
/// item 5: left unset, replication_commit falls back to one_phase with a warning and <c>SHOW POOL_STATUS</c> naming
/// the node and the setting, and writes still reach every node; set to two_phase, pgproxy refuses to start and says
/// why. Every check of the data reads the nodes directly.
/// </summary>
public sealed class PreparedTransactionsOffTests(PreparedTransactionsOffTests.Cluster cluster)
    : IClassFixture<PreparedTransactionsOffTests.Cluster>
{
    /// <summary>Two nodes; node 1 keeps PostgreSQL's default of no prepared transactions.</summary>
    public sealed class Cluster() : PgClusterFixture(2)
    {
        protected override PostgresInstanceOptions CreateNodeOptions(int index) => new()
        {
            Name = "noprep" + index,
            Settings = index == 1
                ? new Dictionary<string, string> { ["max_prepared_transactions"] = "0" }
                : new Dictionary<string, string>(),
        };
    }

    [PostgresFact]
    public async Task Left_unset_it_commits_in_one_phase_says_so_and_writes_reach_every_node()
    {
        Assert.Equal("0", await NodeSql.ScalarAsync<string>(cluster.Nodes[1], "SHOW max_prepared_transactions"));
        var table = NodeSql.UniqueTable("noprep");
        using var log = new RecordingLoggerProvider();
        using var loggerFactory = log.CreateFactory();
        await using var proxy = ProxyHost.Start(cluster, discardStatus: true, loggerFactory: loggerFactory);

        var mode = proxy.Runtime.TwoPhase.Mode;
        Assert.StartsWith("one_phase", mode, StringComparison.Ordinal);
        Assert.Contains("backend node 1", mode, StringComparison.Ordinal);
        Assert.Contains("max_prepared_transactions = 0", mode, StringComparison.Ordinal);
        var warning = Assert.Single(log.WithEventId(EventIds.TwoPhaseUnavailable));
        Assert.Contains("backend node 1", warning.Message, StringComparison.Ordinal);
        Assert.Equal(mode, await PoolStatusAsync(proxy, "replication_commit"));

        await using (var conn = await proxy.OpenAsync())
        {
            await ExecuteAsync(conn, $"CREATE TABLE {table} (id int PRIMARY KEY, v text)");
            await ExecuteAsync(conn, $"INSERT INTO {table} VALUES (1, 'autocommit')");
            await using var tx = await conn.BeginTransactionAsync();
            await using (var insert = new NpgsqlCommand($"INSERT INTO {table} VALUES (2, 'explicit')", conn, tx))
            {
                await insert.ExecuteNonQueryAsync();
            }

            await tx.CommitAsync();
        }

        Assert.Equal(0L, proxy.Runtime.TwoPhase.TwoPhaseCommits);
        foreach (var node in cluster.Nodes)
        {
            Assert.Equal("1:autocommit,2:explicit", await NodeSql.ScalarAsync<string>(node,
                $"SELECT string_agg(id || ':' || v, ',' ORDER BY id) FROM {table}"));
            Assert.Equal(0L, await NodeSql.ScalarAsync<long>(node, "SELECT count(*) FROM pg_prepared_xacts"));
        }
    }

    [PostgresFact]
    public void Set_to_two_phase_it_refuses_to_start_naming_the_node_and_the_setting()
    {
        var refused = Assert.Throws<ProxyConfigurationException>(() =>
            ProxyHost.Start(cluster, o => o with { ReplicationCommit = "two_phase" }, discardStatus: true));

        var message = string.Join(" ", refused.Problems);
        Assert.Contains("replication_commit = two_phase", message, StringComparison.Ordinal);
        Assert.Contains("backend node 1", message, StringComparison.Ordinal);
        Assert.Contains("max_prepared_transactions = 0", message, StringComparison.Ordinal);
    }

    private static async Task ExecuteAsync(NpgsqlConnection conn, string sql)
    {
        await using var cmd = new NpgsqlCommand(sql, conn);
        await cmd.ExecuteNonQueryAsync();
    }

    private static async Task<string> PoolStatusAsync(ProxyHost proxy, string item)
    {
        await using var conn = await proxy.OpenAsync();
        await using var cmd = new NpgsqlCommand("SHOW POOL_STATUS", conn);
        await using var reader = await cmd.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            if (reader.GetString(0) == item)
            {
                return reader.GetString(1);
            }
        }

        throw new InvalidOperationException($"SHOW POOL_STATUS has no {item}");
    }
}

using Npgsql;
using Pgproxy.Core.Config;
using Pgproxy.Core.Logging;
using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Logging;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Replication;

/// <summary>
/// Node 1's <c>max_prepared_transactions</c>. At 0 (PostgreSQL's default; issue 13 item 5): left unset,
/// replication_commit falls back to one_phase with a warning and <c>SHOW POOL_STATUS</c> naming the node and the
/// setting, and writes still reach every node; set to two_phase, pgproxy refuses to start and says why. Below
/// num_init_children: a warning, and commits beyond it wait for a slot instead of failing with 53200. Every check of
/// the data reads the nodes directly.
/// </summary>
public sealed class PreparedTransactionLimitTests(PreparedTransactionLimitTests.Cluster cluster)
    : IClassFixture<PreparedTransactionLimitTests.Cluster>
{
    /// <summary>Two nodes; node 1 starts with PostgreSQL's default of no prepared transactions.</summary>
    public sealed class Cluster() : PgClusterFixture(2)
    {
        protected override PostgresInstanceOptions CreateNodeOptions(int index) => new()
        {
            Name = "preplimit" + index,
            Settings = index == 1
                ? new Dictionary<string, string> { ["max_prepared_transactions"] = "0" }
                : new Dictionary<string, string>(),
        };
    }

    [PostgresFact]
    public async Task Left_unset_it_commits_in_one_phase_says_so_and_writes_reach_every_node()
    {
        await SetNode1LimitAsync(0);
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
    public async Task Set_to_two_phase_it_refuses_to_start_naming_the_node_and_the_setting()
    {
        await SetNode1LimitAsync(0);
        var refused = Assert.Throws<ProxyConfigurationException>(() =>
            ProxyHost.Start(cluster, o => o with { ReplicationCommit = "two_phase" }, discardStatus: true));

        var message = string.Join(" ", refused.Problems);
        Assert.Contains("replication_commit = two_phase", message, StringComparison.Ordinal);
        Assert.Contains("backend node 1", message, StringComparison.Ordinal);
        Assert.Contains("max_prepared_transactions = 0", message, StringComparison.Ordinal);
    }

    [PostgresFact]
    public async Task Below_num_init_children_it_warns_and_commits_beyond_the_limit_wait_instead_of_failing()
    {
        await SetNode1LimitAsync(2);
        var table = NodeSql.UniqueTable("preplimit");
        using var log = new RecordingLoggerProvider();
        using var loggerFactory = log.CreateFactory();
        await using var proxy = ProxyHost.Start(cluster, discardStatus: true, loggerFactory: loggerFactory);
        Assert.Equal("two_phase", proxy.Runtime.TwoPhase.Mode);
        var warning = Assert.Single(log.WithEventId(EventIds.FewPreparedTransactions));
        Assert.Contains("backend node 1", warning.Message, StringComparison.Ordinal);
        Assert.Contains("max_prepared_transactions = 2", warning.Message, StringComparison.Ordinal);
        await using (var conn = await proxy.OpenAsync())
        {
            await ExecuteAsync(conn, $"CREATE TABLE {table} (client int, n int, PRIMARY KEY (client, n))");
        }

        // Before the slots, 8 pgbench clients against 2 prepared transactions: 6 aborted within a second on 53200.
        const int Clients = 8, Transactions = 25;
        var before = proxy.Runtime.TwoPhase.TwoPhaseCommits;
        await Task.WhenAll(Enumerable.Range(0, Clients).Select(async client =>
        {
            await using var conn = await proxy.OpenAsync();
            for (var n = 0; n < Transactions; n++)
            {
                await using var tx = await conn.BeginTransactionAsync();
                await using var insert = new NpgsqlCommand($"INSERT INTO {table} VALUES ({client}, {n})", conn, tx);
                await insert.ExecuteNonQueryAsync();
                await tx.CommitAsync();
            }
        }));

        Assert.True(proxy.Runtime.TwoPhase.Slots.Waits > 0, "no commit waited: the test did not reach the limit");
        Assert.Equal(Clients * Transactions, proxy.Runtime.TwoPhase.TwoPhaseCommits - before);
        foreach (var node in cluster.Nodes)
        {
            Assert.Equal((long)Clients * Transactions, await NodeSql.CountAsync(node, table));
            Assert.Equal(0L, await NodeSql.ScalarAsync<long>(node, "SELECT count(*) FROM pg_prepared_xacts"));
        }
    }

    /// <summary>Restarts node 1 with <paramref name="limit"/> prepared transactions, unless it has that already.</summary>
    private async Task SetNode1LimitAsync(int limit)
    {
        var node = cluster.Nodes[1];
        var text = limit.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (await NodeSql.ScalarAsync<string>(node, "SHOW max_prepared_transactions") != text)
        {
            await NodeSql.ExecuteAsync(node, $"ALTER SYSTEM SET max_prepared_transactions = {text}");
            await node.StopAsync();
            await node.StartAsync();
        }

        Assert.Equal(text, await NodeSql.ScalarAsync<string>(node, "SHOW max_prepared_transactions"));
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

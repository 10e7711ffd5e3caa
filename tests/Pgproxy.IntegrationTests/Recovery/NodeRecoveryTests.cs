using Npgsql;
using Pgproxy.Core.Backends;
using Pgproxy.Core.Recovery;
using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Postgres;
using Xunit.Abstractions;

namespace Pgproxy.IntegrationTests.Recovery;

/// <summary>
/// The recovery engine on a quiet database (issue 15): node 1 detached, a schema with the cases logical
/// replication treats apart written through pgproxy to node 0 alone, node 1 recovered with WIPE, then both nodes
/// compared directly, and written to again through pgproxy.
/// </summary>
[Collection(RecoverySuite.Name)]
public sealed class NodeRecoveryTests(TwoNodes cluster, ITestOutputHelper output) : RecoveryTestBase(cluster)
{
    [PostgresFact]
    public async Task A_detached_node_is_wiped_copied_and_attached_identical_and_later_writes_reach_it()
    {
        await using var proxy = ProxyHost.Start(Cluster, discardStatus: true);
        var node1 = proxy.Runtime.Nodes.Find(1)!;
        proxy.Runtime.Nodes.Degenerate(node1, "test");
        var id = Guid.NewGuid().ToString("N")[..8];
        var database = "recov_" + id;
        await ExecuteThroughAsync(proxy,
            $"""
            CREATE TABLE serial_{id} (id serial PRIMARY KEY, v text);
            CREATE TABLE nopk_{id} (a int, b text);
            CREATE TABLE ident_{id} (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, v int,
                g int GENERATED ALWAYS AS (v * 2) STORED, j jsonb, n numeric(12,3), ts timestamptz, arr int[]);
            CREATE TABLE part_{id} (k int NOT NULL, v text) PARTITION BY RANGE (k);
            CREATE TABLE part_{id}_low PARTITION OF part_{id} FOR VALUES FROM (0) TO (500);
            CREATE TABLE part_{id}_high PARTITION OF part_{id} FOR VALUES FROM (500) TO (1000);
            CREATE INDEX ON nopk_{id} (a);
            CREATE SEQUENCE seq_{id};
            INSERT INTO serial_{id} (v) SELECT 'row ' || i FROM generate_series(1, 1000) i;
            INSERT INTO nopk_{id} SELECT i, md5(i::text) FROM generate_series(1, 1000) i;
            INSERT INTO ident_{id} (v, j, n, ts, arr) SELECT i, jsonb_build_object('i', i), i / 7.0,
                '2024-01-01'::timestamptz + i * interval '1 hour', ARRAY[i, i + 1] FROM generate_series(1, 500) i;
            INSERT INTO part_{id} SELECT i, 'p' || i FROM generate_series(0, 999) i;
            UPDATE nopk_{id} SET b = 'updated' WHERE a % 3 = 0;
            DELETE FROM nopk_{id} WHERE a % 7 = 0;
            SELECT nextval('seq_{id}') FROM generate_series(1, 5);
            """);
        await ExecuteThroughAsync(proxy, $"CREATE DATABASE {database}");
        await NodeSql.ExecuteAsync(Cluster.Nodes[0], "SELECT 1"); // node 0 is the only one that saw it
        await using (var other = new NpgsqlConnection(Cluster.Nodes[0].ConnectionStringFor(database)))
        {
            // The second database, written on node 0 directly: pgproxy would send it there alone anyway.
            await other.OpenAsync();
            await using var create = new NpgsqlCommand(
                "CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t SELECT i, 'x' || i FROM generate_series(1, 300) i",
                other);
            await create.ExecuteNonQueryAsync();
        }

        var progress = new RecoveryProgress();
        var outcome = await RecoverAsync(proxy, progress, wipe: true);

        Assert.True(outcome.Succeeded, outcome.Error + Logs());
        output.WriteLine(Logs());
        output.WriteLine($"recovered in {outcome.Duration.TotalMilliseconds:0} ms, longest cutover pause " +
                         $"{outcome.LongestCutoverPause.TotalMilliseconds:0} ms, {outcome.CutoverAttempts} attempt(s)");
        Assert.NotEqual(BackendStatus.Down, node1.Status);
        Assert.Equal("done", progress.Phase);
        Assert.True(progress.TablesCopied >= 6 && progress.TablesCopied == progress.TablesTotal,
            $"{progress.TablesCopied}/{progress.TablesTotal}");
        await NodeCompare.AssertIdenticalAsync(Cluster.Nodes[0], Cluster.Nodes[1]);
        await NodeCompare.AssertIdenticalAsync(Cluster.Nodes[0], Cluster.Nodes[1], database);
        await AssertNoRecoveryObjectsAsync();
        Assert.Equal("d", await NodeSql.ScalarAsync<string>(Cluster.Nodes[0],
            $"SELECT relreplident::text FROM pg_class WHERE oid = 'nopk_{id}'::regclass"));

        // From now on pgproxy writes to both nodes itself.
        await ExecuteThroughAsync(proxy,
            $"""
            INSERT INTO serial_{id} (v) VALUES ('after');
            INSERT INTO nopk_{id} VALUES (5000, 'after');
            UPDATE nopk_{id} SET b = 'again' WHERE a < 10;
            INSERT INTO ident_{id} (v) VALUES (42);
            INSERT INTO part_{id} VALUES (999, 'after');
            SELECT nextval('seq_{id}');
            """);
        await NodeCompare.AssertIdenticalAsync(Cluster.Nodes[0], Cluster.Nodes[1]);
        Assert.Equal(1001, await NodeSql.ScalarAsync<int>(Cluster.Nodes[1], $"SELECT max(id) FROM serial_{id}"));
    }

    [PostgresFact]
    public async Task Every_phase_goes_to_the_recovery_journal_and_the_system_db_on_main_is_not_copied()
    {
        // The system DB in a database of node 0 (main) itself: never copied, and where the journal goes.
        var systemDb = "sysdb_" + Guid.NewGuid().ToString("N")[..8];
        await NodeSql.ExecuteAsync(Cluster.Nodes[0], $"CREATE DATABASE {systemDb}");
        await using var proxy = ProxyHost.Start(Cluster, o => o with
        {
            SystemDbHostname = PostgresInstance.Host,
            SystemDbPort = Cluster.Nodes[0].Port,
            SystemDbDbname = systemDb,
            SystemDbUser = PostgresInstance.User,
        }, discardStatus: true);
        proxy.Runtime.Nodes.Degenerate(proxy.Runtime.Nodes.Find(1)!, "test");
        var table = NodeSql.UniqueTable("journaled");
        await ExecuteThroughAsync(proxy,
            $"CREATE TABLE {table} (id int PRIMARY KEY); INSERT INTO {table} VALUES (1), (2)");

        var outcome = await RecoverAsync(proxy, new RecoveryProgress(), wipe: true);

        Assert.True(outcome.Succeeded, outcome.Error + Logs());
        Assert.False(await NodeSql.ScalarAsync<bool>(Cluster.Nodes[1],
            $"SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = '{systemDb}')"));
        await using var conn = new NpgsqlConnection(Cluster.Nodes[0].ConnectionStringFor(systemDb));
        await conn.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT string_agg(phase || CASE WHEN lsn IS NULL THEN '' ELSE '@' END, ',' ORDER BY id) " +
            "FROM pgproxy_catalog.recovery_journal WHERE node_id = 1", conn);
        var phases = (string)(await command.ExecuteScalarAsync())!;
        output.WriteLine(phases);
        Assert.Matches("^checks,(wipe,)?schema@,copy@,catch-up@,attached@,done$", phases); // wipe when node 1 had data
        await NodeSql.ExecuteAsync(Cluster.Nodes[0], $"DROP DATABASE {systemDb} WITH (FORCE)");
    }

    [PostgresFact]
    public async Task A_cutover_that_never_fits_recovery_cutover_timeout_is_retried_then_fails_cleanly()
    {
        await using var proxy = ProxyHost.Start(Cluster, o => o with { RecoveryCutoverTimeout = 1 }, discardStatus: true);
        var node1 = proxy.Runtime.Nodes.Find(1)!;
        proxy.Runtime.Nodes.Degenerate(node1, "test");
        (await PgTools.PgbenchAsync(proxy.Port, "-i", "-q", "-s", "1")).EnsureSuccess();
        var closuresBefore = proxy.Runtime.WriteGate.Closures.Snapshot().Count;

        // Never fits, whatever the machine's speed: a write of a session without node 1 runs on main the whole time,
        // and a cutover may not attach the node before such a write ends (NodeJoin). Counted here as the write path
        // counts it; a real INSERT kept waiting that long would hold up the recovery before any cutover: waiting
        // on a key it holds a transaction id, for which main's replication slot waits, and it holds its table's
        // lock, for which the publication's ALTER TABLE of a table without a key waits. (Whether the node had
        // applied main's WAL within 1 ms depended on timing: with two autocommit writers, one cutover in five
        // fitted.)
        using var running = await proxy.Runtime.Nodes.Join.EnterWriteAsync(sessionLacksANode: true);
        // Two clients writing until the recovery has ended: commits wait at every closed gate and go on.
        using var stop = new CancellationTokenSource();
        var writers = Enumerable.Range(0, 2).Select(w => Task.Run(() => AutocommitWriter.RunUntilAsync(proxy,
                n => $"UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid = {(n * 2 + w) % 100_000 + 1}",
                stop.Token)))
            .ToList();
        var outcome = await RecoverAsync(proxy, new RecoveryProgress(), wipe: true).WaitAsync(TimeSpan.FromMinutes(3));
        output.WriteLine($"{outcome.Duration.TotalMilliseconds:0} ms: {outcome.Error}");
        await stop.CancelAsync();
        Assert.All(await Task.WhenAll(writers), committed => Assert.True(committed > 0)); // and none failed

        Assert.False(outcome.Succeeded);
        Assert.Equal(Cutover.MaxAttempts, outcome.CutoverAttempts);
        Assert.Contains("recovery_cutover_timeout = 1 ms", outcome.Error, StringComparison.Ordinal);
        Assert.Contains("were still running on main after 1 ms", outcome.Error, StringComparison.Ordinal);
        Assert.Equal(Cutover.MaxAttempts, proxy.Runtime.WriteGate.Closures.Snapshot().Count - closuresBefore);
        Assert.False(proxy.Runtime.WriteGate.IsClosed);
        Assert.Equal(BackendStatus.Down, node1.Status);
        await AssertNoRecoveryObjectsAsync();
    }

    [PostgresFact]
    public async Task A_node_that_is_not_empty_is_refused_without_wipe_and_left_down()
    {
        await using var proxy = ProxyHost.Start(Cluster, discardStatus: true);
        var table = NodeSql.UniqueTable("kept");
        await ExecuteThroughAsync(proxy, $"CREATE TABLE {table} (id int PRIMARY KEY); INSERT INTO {table} VALUES (1)");
        var node1 = proxy.Runtime.Nodes.Find(1)!;
        proxy.Runtime.Nodes.Degenerate(node1, "test");

        var outcome = await RecoverAsync(proxy, new RecoveryProgress(), wipe: false);

        Assert.False(outcome.Succeeded);
        Assert.Contains("backend node 1 is not empty", outcome.Error, StringComparison.Ordinal);
        Assert.Contains("WIPE", outcome.Error, StringComparison.Ordinal);
        Assert.Equal(BackendStatus.Down, node1.Status);
        Assert.Equal(1L, await NodeSql.CountAsync(Cluster.Nodes[1], table)); // nothing was touched
        await AssertNoRecoveryObjectsAsync();
    }

    [PostgresFact]
    public async Task A_node_that_is_up_or_not_configured_is_refused()
    {
        await using var proxy = ProxyHost.Start(Cluster, discardStatus: true);
        var up = await RecoverAsync(proxy, new RecoveryProgress(), wipe: true);
        Assert.False(up.Succeeded);
        Assert.Contains("backend node 1 is", up.Error, StringComparison.Ordinal);
        Assert.Contains("not down", up.Error, StringComparison.Ordinal);

        var missing = await new NodeRecovery(proxy.Runtime, RecordedLogs.CreateLogger("test"))
            .RunAsync(new RecoveryRequest(7, true, "test"), new RecoveryProgress(), CancellationToken.None);
        Assert.False(missing.Succeeded);
        Assert.Contains("backend node 7 is not configured", missing.Error, StringComparison.Ordinal);
    }
}

using Npgsql;
using Pgproxy.Core.Recovery;
using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Postgres;
using Xunit.Abstractions;

namespace Pgproxy.IntegrationTests.Recovery;

/// <summary>
/// A transaction left open on main while a node is recovered. Reading a table without a primary key, it held the
/// recovery's ALTER TABLE … REPLICA IDENTITY FULL, whose waiting ACCESS EXCLUSIVE request then held every other
/// query on that table: the application stopped on it until the transaction ended. Holding a transaction id, it held
/// the creation of the recovery's replication slot, with nothing saying why the recovery stood still; holding a
/// table exclusively, the recovery's pg_dump.
/// </summary>
[Collection(RecoverySuite.Name)]
public sealed class RecoveryLongTransactionTests(TwoNodes cluster, ITestOutputHelper output) : RecoveryTestBase(cluster)
{
    [PostgresFact]
    public async Task A_transaction_reading_a_table_without_a_key_holds_neither_the_application_nor_the_recovery()
    {
        await using var proxy = ProxyHost.Start(Cluster, discardStatus: true);
        var table = NodeSql.UniqueTable("nokey");
        await ExecuteThroughAsync(proxy,
            $"CREATE TABLE {table} (a int); INSERT INTO {table} SELECT generate_series(1, 100)");
        proxy.Runtime.Nodes.Degenerate(proxy.Runtime.Nodes.Find(1)!, "test");

        await using var holder = new NpgsqlConnection(Cluster.Nodes[0].ConnectionString);
        await holder.OpenAsync();
        var holderPid = holder.ProcessID;
        await using var open = await holder.BeginTransactionAsync();
        await ScalarAsync(holder, $"SELECT count(*) FROM {table}"); // ACCESS SHARE until the end, no transaction id

        var progress = new RecoveryProgress();
        var recovery = RecoverAsync(proxy, progress, wipe: true);
        await Poll.UntilAsync(() => progress.Detail.Contains(
                $"lock on table {table}, held by pid {holderPid}", StringComparison.Ordinal) || recovery.IsCompleted,
            TimeSpan.FromSeconds(60), "the recovery names the holder");
        if (recovery.IsCompleted)
        {
            Assert.Fail("the recovery ended: " + (await recovery).Error + Logs());
        }
        output.WriteLine(progress.Detail);

        // The application reads and writes the table meanwhile: before, both waited behind the recovery's request.
        await using (var app = await proxy.OpenAsync())
        {
            await ScalarAsync(app, "SET statement_timeout = '3s'");
            Assert.Equal(100L, await ScalarAsync(app, $"SELECT count(*) FROM {table}"));
            await ScalarAsync(app, $"INSERT INTO {table} VALUES (101)");
        }

        await open.CommitAsync();
        var outcome = await recovery;
        Assert.True(outcome.Succeeded, outcome.Error + Logs());
        await ExecuteThroughAsync(proxy, $"INSERT INTO {table} VALUES (102)");
        foreach (var node in Cluster.Nodes)
        {
            Assert.Equal(102L, await NodeSql.CountAsync(node, table));
            Assert.Equal("d", await NodeSql.ScalarAsync<string>(node,
                $"SELECT relreplident::text FROM pg_class WHERE oid = '{table}'::regclass")); // given back on main
        }

        await NodeCompare.AssertIdenticalAsync(Cluster.Nodes[0], Cluster.Nodes[1]);
        await AssertNoRecoveryObjectsAsync();
    }

    [PostgresFact]
    public async Task A_transaction_holding_an_id_on_main_is_named_while_the_replication_slot_waits_for_it()
    {
        await using var proxy = ProxyHost.Start(Cluster, discardStatus: true);
        var table = NodeSql.UniqueTable("slotwait");
        await ExecuteThroughAsync(proxy, $"CREATE TABLE {table} (id int PRIMARY KEY)");
        proxy.Runtime.Nodes.Degenerate(proxy.Runtime.Nodes.Find(1)!, "test");

        await using var holder = new NpgsqlConnection(Cluster.Nodes[0].ConnectionString);
        await holder.OpenAsync();
        var holderPid = holder.ProcessID;
        await using var open = await holder.BeginTransactionAsync();
        await ScalarAsync(holder, $"INSERT INTO {table} VALUES (1)"); // a transaction id, and the transaction open

        var progress = new RecoveryProgress();
        var recovery = RecoverAsync(proxy, progress, wipe: true);
        await Poll.UntilAsync(() => progress.Detail.Contains(
                $"the replication slot waits for transactions on main to end, the oldest pid {holderPid}",
                StringComparison.Ordinal) || recovery.IsCompleted, TimeSpan.FromSeconds(60),
            "the recovery names the transaction the slot waits for");
        if (recovery.IsCompleted)
        {
            Assert.Fail("the recovery ended: " + (await recovery).Error + Logs());
        }
        output.WriteLine(progress.Detail);
        Assert.Equal("copy", progress.Phase);

        await open.CommitAsync(); // on main alone: the node gets it by the recovery's copy
        var outcome = await recovery;
        Assert.True(outcome.Succeeded, outcome.Error + Logs());
        Assert.Equal(1L, await NodeSql.CountAsync(Cluster.Nodes[1], table));
        await NodeCompare.AssertIdenticalAsync(Cluster.Nodes[0], Cluster.Nodes[1]);
        await AssertNoRecoveryObjectsAsync();
    }

    [PostgresFact]
    public async Task A_table_locked_exclusively_on_main_is_named_while_the_schema_dump_waits_for_it()
    {
        await using var proxy = ProxyHost.Start(Cluster, discardStatus: true);
        var table = NodeSql.UniqueTable("locked");
        await ExecuteThroughAsync(proxy, $"CREATE TABLE {table} (id int PRIMARY KEY); INSERT INTO {table} VALUES (1)");
        proxy.Runtime.Nodes.Degenerate(proxy.Runtime.Nodes.Find(1)!, "test");

        await using var holder = new NpgsqlConnection(Cluster.Nodes[0].ConnectionString);
        await holder.OpenAsync();
        var holderPid = holder.ProcessID;
        await using var open = await holder.BeginTransactionAsync();
        await ScalarAsync(holder, $"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE"); // as VACUUM FULL or CLUSTER would

        var progress = new RecoveryProgress();
        var recovery = RecoverAsync(proxy, progress, wipe: true);
        await Poll.UntilAsync(() => progress.Detail.Contains(
                $"pg_dump waits for the lock on table public.{table}, held by pid {holderPid}",
                StringComparison.Ordinal) || recovery.IsCompleted, TimeSpan.FromSeconds(60),
            "the recovery names the holder");
        if (recovery.IsCompleted)
        {
            Assert.Fail("the recovery ended: " + (await recovery).Error + Logs());
        }

        output.WriteLine(progress.Detail);
        Assert.Equal("schema", progress.Phase);
        await open.CommitAsync();
        var outcome = await recovery;
        Assert.True(outcome.Succeeded, outcome.Error + Logs());
        Assert.Equal(1L, await NodeSql.CountAsync(Cluster.Nodes[1], table));
        await NodeCompare.AssertIdenticalAsync(Cluster.Nodes[0], Cluster.Nodes[1]);
    }

    [PostgresTheory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_prepared_transaction_left_on_main_is_named_while_the_recovery_waits_for_it(bool keyed)
    {
        await using var proxy = ProxyHost.Start(Cluster, discardStatus: true);
        var table = NodeSql.UniqueTable("prepared");
        await ExecuteThroughAsync(proxy, $"CREATE TABLE {table} (id int {(keyed ? "PRIMARY KEY" : "")})");
        proxy.Runtime.Nodes.Degenerate(proxy.Runtime.Nodes.Find(1)!, "test");
        var gid = "left_" + table;
        await NodeSql.ExecuteAsync(Cluster.Nodes[0],
            $"BEGIN; INSERT INTO {table} VALUES (1); PREPARE TRANSACTION '{gid}'");
        try
        {
            // Keyed, the slot waits for its transaction id; without a key, the ALTER TABLE for its lock.
            var progress = new RecoveryProgress();
            var recovery = RecoverAsync(proxy, progress, wipe: true);
            var expected = keyed ? $"the oldest prepared transaction '{gid}' (prepared for"
                : $"lock on table {table}, held by prepared transaction '{gid}' (prepared for";
            await Poll.UntilAsync(() => progress.Detail.Contains(expected, StringComparison.Ordinal)
                || recovery.IsCompleted, TimeSpan.FromSeconds(60), "the recovery names the prepared transaction");
            if (recovery.IsCompleted)
            {
                Assert.Fail("the recovery ended: " + (await recovery).Error + Logs());
            }

            output.WriteLine(progress.Detail);
            await NodeSql.ExecuteAsync(Cluster.Nodes[0], $"COMMIT PREPARED '{gid}'");
            var outcome = await recovery;
            Assert.True(outcome.Succeeded, outcome.Error + Logs());
            Assert.Equal(1L, await NodeSql.CountAsync(Cluster.Nodes[1], table));
            await NodeCompare.AssertIdenticalAsync(Cluster.Nodes[0], Cluster.Nodes[1]);
        }
        finally
        {
            if (await NodeSql.ScalarAsync<long>(Cluster.Nodes[0],
                    $"SELECT count(*) FROM pg_prepared_xacts WHERE gid = '{gid}'") > 0)
            {
                await NodeSql.ExecuteAsync(Cluster.Nodes[0], $"ROLLBACK PREPARED '{gid}'");
            }
        }
    }

    private static async Task<object?> ScalarAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteScalarAsync();
    }
}

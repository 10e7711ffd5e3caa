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
    private string _table = "";

    [PostgresFact]
    public async Task A_transaction_reading_a_table_without_a_key_holds_neither_the_application_nor_the_recovery()
    {
        await using var proxy = await StartWithNode1DownAsync("nokey", "a int", 100);
        await using var holder = await HoldOnMainAsync($"SELECT count(*) FROM {_table}"); // ACCESS SHARE, no xid
        var recovery = await RecoverUntilSaidAsync(proxy, $"lock on table {_table}, held by pid {holder.Pid}");

        // The application reads and writes the table meanwhile: before, both waited behind the recovery's request.
        await using (var app = await proxy.OpenAsync())
        {
            await ScalarAsync(app, "SET statement_timeout = '3s'");
            Assert.Equal(100L, await ScalarAsync(app, $"SELECT count(*) FROM {_table}"));
            await ScalarAsync(app, $"INSERT INTO {_table} VALUES (101)");
        }

        await holder.Transaction.CommitAsync();
        await AssertRecoveredAsync(recovery, 101);
        await ExecuteThroughAsync(proxy, $"INSERT INTO {_table} VALUES (102)");
        foreach (var node in Cluster.Nodes)
        {
            Assert.Equal(102L, await NodeSql.CountAsync(node, _table));
            Assert.Equal("d", await NodeSql.ScalarAsync<string>(node,
                $"SELECT relreplident::text FROM pg_class WHERE oid = '{_table}'::regclass")); // given back on main
        }
    }

    [PostgresFact]
    public async Task A_transaction_holding_an_id_on_main_is_named_while_the_replication_slot_waits_for_it()
    {
        await using var proxy = await StartWithNode1DownAsync("slotwait", "id int PRIMARY KEY", 0);
        await using var holder = await HoldOnMainAsync($"INSERT INTO {_table} VALUES (1)"); // a transaction id
        var recovery = await RecoverUntilSaidAsync(proxy,
            $"the replication slot waits for transactions on main to end, the oldest pid {holder.Pid}", "copy");

        await holder.Transaction.CommitAsync(); // on main alone: the node gets it by the recovery's copy
        await AssertRecoveredAsync(recovery, 1);
    }

    [PostgresFact]
    public async Task A_table_locked_exclusively_on_main_is_named_while_the_schema_dump_waits_for_it()
    {
        await using var proxy = await StartWithNode1DownAsync("locked", "id int PRIMARY KEY", 1);
        await using var holder = await HoldOnMainAsync($"LOCK TABLE {_table} IN ACCESS EXCLUSIVE MODE"); // VACUUM FULL
        var recovery = await RecoverUntilSaidAsync(proxy,
            $"pg_dump waits for the lock on table public.{_table}, held by pid {holder.Pid}", "schema");

        await holder.Transaction.CommitAsync();
        await AssertRecoveredAsync(recovery, 1);
    }

    [PostgresTheory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_prepared_transaction_left_on_main_is_named_while_the_recovery_waits_for_it(bool keyed)
    {
        await using var proxy = await StartWithNode1DownAsync("prepared", keyed ? "id int PRIMARY KEY" : "id int", 0);
        var gid = "left_" + _table;
        await NodeSql.ExecuteAsync(Cluster.Nodes[0],
            $"BEGIN; INSERT INTO {_table} VALUES (1); PREPARE TRANSACTION '{gid}'");
        try
        {
            // Keyed, the slot waits for its transaction id; without a key, the ALTER TABLE for its lock.
            var recovery = await RecoverUntilSaidAsync(proxy, keyed
                ? $"the oldest prepared transaction '{gid}' (prepared for"
                : $"lock on table {_table}, held by prepared transaction '{gid}' (prepared for", "copy");
            await NodeSql.ExecuteAsync(Cluster.Nodes[0], $"COMMIT PREPARED '{gid}'");
            await AssertRecoveredAsync(recovery, 1);
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

    /// <summary>pgproxy, a new table with <paramref name="rows"/> rows on both nodes, then node 1 taken out.</summary>
    private async Task<ProxyHost> StartWithNode1DownAsync(string prefix, string columns, int rows)
    {
        var proxy = ProxyHost.Start(Cluster, discardStatus: true);
        _table = NodeSql.UniqueTable(prefix);
        await ExecuteThroughAsync(proxy,
            $"CREATE TABLE {_table} ({columns}); INSERT INTO {_table} SELECT generate_series(1, {rows})");
        proxy.Runtime.Nodes.Degenerate(proxy.Runtime.Nodes.Find(1)!, "test");
        return proxy;
    }

    /// <summary>A session directly on main, left in the transaction in which it ran <paramref name="sql"/>.</summary>
    private async Task<MainSession> HoldOnMainAsync(string sql)
    {
        var connection = new NpgsqlConnection(Cluster.Nodes[0].ConnectionString);
        await connection.OpenAsync();
        var transaction = await connection.BeginTransactionAsync();
        await ScalarAsync(connection, sql);
        return new MainSession(connection, transaction);
    }

    /// <summary>Starts the recovery of node 1 and returns once its progress says <paramref name="expected"/>.</summary>
    private async Task<Task<RecoveryOutcome>> RecoverUntilSaidAsync(ProxyHost proxy, string expected,
        string? phase = null)
    {
        var progress = new RecoveryProgress();
        var recovery = RecoverAsync(proxy, progress, wipe: true);
        await Poll.UntilAsync(() => progress.Detail.Contains(expected, StringComparison.Ordinal)
            || recovery.IsCompleted, TimeSpan.FromSeconds(60), "the recovery's progress to say " + expected);
        if (recovery.IsCompleted)
        {
            Assert.Fail("the recovery ended: " + (await recovery).Error + Logs());
        }

        output.WriteLine(progress.Detail);
        if (phase is not null)
        {
            Assert.Equal(phase, progress.Phase);
        }

        return recovery;
    }

    /// <summary>The recovery succeeded; node 1 has <paramref name="rows"/> rows and is main's twin.</summary>
    private async Task AssertRecoveredAsync(Task<RecoveryOutcome> recovery, long rows)
    {
        var outcome = await recovery;
        Assert.True(outcome.Succeeded, outcome.Error + Logs());
        Assert.Equal(rows, await NodeSql.CountAsync(Cluster.Nodes[1], _table));
        await NodeCompare.AssertIdenticalAsync(Cluster.Nodes[0], Cluster.Nodes[1]);
        await AssertNoRecoveryObjectsAsync();
    }

    private static async Task<object?> ScalarAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteScalarAsync();
    }

    private sealed record MainSession(NpgsqlConnection Connection, NpgsqlTransaction Transaction) : IAsyncDisposable
    {
        public int Pid => Connection.ProcessID;

        public async ValueTask DisposeAsync()
        {
            await Transaction.DisposeAsync();
            await Connection.DisposeAsync();
        }
    }
}

using Npgsql;
using Pgproxy.Core.Backends;
using Pgproxy.Core.Recovery;
using Pgproxy.Core.Replication;
using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Recovery;

/// <summary>
/// DDL while a recovery copies main: logical replication carries rows only, so schema changes are refused (55000)
/// from the schema dump until the cutover, in both protocols; rows, temporary tables and reads go on; the nodes read
/// directly hold the same tables afterwards.
/// </summary>
[Collection(RecoverySuite.Name)]
public sealed class RecoverySchemaChangeTests(TwoNodes cluster) : RecoveryTestBase(cluster)
{
    [PostgresFact]
    public async Task Schema_changes_are_refused_in_both_protocols_while_held_and_run_again_once_released()
    {
        await using var proxy = ProxyHost.Start(Cluster, discardStatus: true);
        var table = NodeSql.UniqueTable("held");
        await using var conn = await proxy.OpenAsync();
        await Execute(conn, $"CREATE TABLE {table} (id int PRIMARY KEY)");

        proxy.Runtime.SchemaChanges.Hold(1);
        try
        {
            var extended = await Assert.ThrowsAsync<PostgresException>(() => Execute(conn, $"CREATE TABLE {table}_x (id int)"));
            Assert.Equal(SchemaChangeHold.SqlState, extended.SqlState);
            Assert.Contains("node 1 is being recovered", extended.MessageText, StringComparison.Ordinal);
            await Execute(conn, $"INSERT INTO {table} VALUES (1)"); // rows go on
            await Execute(conn, "CREATE TEMP TABLE held_scratch (id int)"); // so do a session's own tables

            // The simple protocol, a string with its own transaction: refused before any node runs any of it.
            var simple = await PgTools.PsqlAsync(proxy.Port, "-v", "ON_ERROR_STOP=0", "-c",
                $"BEGIN; INSERT INTO {table} VALUES (2); ALTER TABLE {table} ADD COLUMN c int; COMMIT;");
            Assert.Contains("being recovered", simple.StdErr, StringComparison.Ordinal);
            Assert.Contains("55000", simple.StdErr + (await PgTools.PsqlAsync(proxy.Port, "-v", "VERBOSITY=verbose",
                "-c", $"DROP TABLE {table}")).StdErr, StringComparison.Ordinal);
        }
        finally
        {
            proxy.Runtime.SchemaChanges.Release();
        }

        await Execute(conn, $"ALTER TABLE {table} ADD COLUMN c int");
        foreach (var node in Cluster.Nodes)
        {
            Assert.Equal(1, await NodeSql.ScalarAsync<long>(node, $"SELECT count(*) FROM {table}"));
            Assert.Equal(0, await NodeSql.ScalarAsync<long>(node, $"SELECT count(*) FROM pg_tables WHERE tablename = '{table}_x'"));
            Assert.Equal(1, await NodeSql.ScalarAsync<long>(node,
                $"SELECT count(*) FROM information_schema.columns WHERE table_name = '{table}' AND column_name = 'c'"));
        }

        await Execute(conn, $"DROP TABLE {table}");
    }

    [PostgresFact]
    public async Task DDL_sent_throughout_a_recovery_is_refused_until_the_cutover_and_the_nodes_end_with_the_same_tables()
    {
        await using var proxy = ProxyHost.Start(Cluster, discardStatus: true);
        var prefix = NodeSql.UniqueTable("ddl");
        await using (var setup = await proxy.OpenAsync())
        {
            await Execute(setup, $"CREATE TABLE {prefix}_rows AS SELECT g AS id FROM generate_series(1, 50000) g");
        }

        var node1 = proxy.Runtime.Nodes.Find(1)!;
        proxy.Runtime.Nodes.Degenerate(node1, "test");
        using var stop = new CancellationTokenSource();
        var ddl = Task.Run(async () =>
        {
            var (created, refused) = (0, 0);
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                // A fresh session each time: one opened while node 1 was down ends (57P01) after the attach.
                await using var conn = await proxy.OpenAsync();
                try
                {
                    await Execute(conn, $"CREATE TABLE {prefix}_{i} (id int PRIMARY KEY)");
                    created++;
                }
                catch (PostgresException e) when (e.SqlState == SchemaChangeHold.SqlState)
                {
                    refused++;
                }
                catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.AdminShutdown)
                {
                    // Opened while node 1 was down and writing just after the attach: the session ends before anything
                    // of its runs anywhere (nothing created), and the next one reaches both nodes.
                }

                await Task.Delay(50);
            }

            return (created, refused);
        });

        await Task.Delay(500);
        var outcome = await new NodeRecovery(proxy.Runtime, RecordedLogs.CreateLogger("Pgproxy.Recovery"))
            .RunAsync(new RecoveryRequest(1, Wipe: true, "test"), new RecoveryProgress(), CancellationToken.None);
        await Task.Delay(500);
        await stop.CancelAsync();
        var (created, refused) = await ddl;

        Assert.True(outcome.Succeeded, outcome.Error + "\n" + string.Join("\n", RecordedLogs.Logs.Select(l => l.Message)));
        Assert.NotEqual(BackendStatus.Down, node1.Status);
        Assert.True(refused > 0, "no DDL was refused during the recovery");
        Assert.True(created > 0, "no DDL ran before or after the recovery");
        Assert.Null(proxy.Runtime.SchemaChanges.Refusal);
        var tables = $"SELECT string_agg(tablename, ',' ORDER BY tablename) FROM pg_tables WHERE tablename LIKE '{prefix}%'";
        var onMain = await NodeSql.ScalarAsync<string>(Cluster.Nodes[0], tables);
        Assert.Equal(onMain, await NodeSql.ScalarAsync<string>(Cluster.Nodes[1], tables));
        Assert.Equal(created + 1, onMain.Split(',').Length);

        await using var cleanup = await proxy.OpenAsync();
        await Execute(cleanup, $"DROP TABLE {string.Join(", ", onMain.Split(','))}");
    }

    private static async Task Execute(NpgsqlConnection conn, string sql)
    {
        await using var cmd = new NpgsqlCommand(sql, conn);
        await cmd.ExecuteNonQueryAsync();
    }
}

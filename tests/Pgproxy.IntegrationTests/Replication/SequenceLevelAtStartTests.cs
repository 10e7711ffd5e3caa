using Npgsql;
using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Replication;

/// <summary>
/// The real executable, killed as a crash would: pgproxy killed after main ran an INSERT and before the others ran
/// it leaves main's sequence ahead (a draw outlives the rollback), and every later row got another id on main than
/// on the others. At start, before the first client, the others' sequences are set to main's.
/// </summary>
[Collection(ReplicationSuite.Name)]
public sealed class SequenceLevelAtStartTests(TwoNodes cluster)
{
    [PostgresFact]
    public async Task Sequences_main_drew_alone_before_a_kill_are_levelled_at_the_next_start()
    {
        var table = NodeSql.UniqueTable("seq_start");
        foreach (var node in cluster.Nodes)
        {
            await NodeSql.ExecuteAsync(node, $"CREATE TABLE {table} (id serial PRIMARY KEY, v int)");
        }

        await using var pgproxy = new PgproxyProcess(cluster);
        try
        {
            var first = pgproxy.StartForeground();
            await pgproxy.WaitUntilAcceptingAsync();
            await InsertAsync(pgproxy, table, 3);

            // What the killed pgproxy leaves: main drew for an INSERT the others never ran.
            await NodeSql.ExecuteAsync(cluster.Nodes[0],
                $"SELECT pg_catalog.nextval('{table}_id_seq') FROM generate_series(1, 4)");
            using (var process = System.Diagnostics.Process.GetProcessById(pgproxy.Pid!.Value))
            {
                process.Kill();
            }

            await first.WaitAsync(TimeSpan.FromSeconds(30));

            var second = pgproxy.StartForeground();
            await pgproxy.WaitUntilAcceptingAsync();
            await InsertAsync(pgproxy, table, 3);
            (await pgproxy.RunAsync("-m", "fast", "stop")).EnsureSuccess();
            var run = await second.WaitAsync(TimeSpan.FromSeconds(30));

            var ids = new List<string>();
            foreach (var node in cluster.Nodes)
            {
                ids.Add(await NodeSql.ScalarAsync<string>(node,
                    $"SELECT string_agg(id || ':' || v, ',' ORDER BY id) FROM {table}"));
            }

            Assert.Equal("1:0,2:1,3:2,8:0,9:1,10:2", ids[0]);
            Assert.Equal(ids[0], ids[1]);
            Assert.Contains($"sequence public.{table}_id_seq in database postgres on node 1 was at 3, main node 0 at 7",
                run.StdErr, StringComparison.Ordinal);
        }
        finally
        {
            foreach (var node in cluster.Nodes)
            {
                await NodeSql.ExecuteAsync(node, $"DROP TABLE IF EXISTS {table}");
            }
        }
    }

    private static async Task InsertAsync(PgproxyProcess pgproxy, string table, int rows)
    {
        await using var conn = new NpgsqlConnection(pgproxy.ConnectionString);
        await conn.OpenAsync();
        for (var i = 0; i < rows; i++)
        {
            await using var insert = new NpgsqlCommand($"INSERT INTO {table} (v) VALUES ({i})", conn);
            await insert.ExecuteNonQueryAsync();
        }
    }
}

using Npgsql;
using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Replication;

/// <summary>
/// An autocommit write that reads other rows, run while a commit is in flight between the nodes: main has the
/// committed row, node 1 has it prepared and unseen. Under READ COMMITTED, <c>UPDATE … WHERE id = (SELECT max(id)
/// …)</c> then changed row 2 on main and row 1 on node 1, with equal row counts, and nothing said so. Its internal
/// transaction now takes one REPEATABLE READ snapshot on every node behind the write gate, after the commit in
/// flight has landed everywhere. A test hook holds that commit between main and node 1. Every node is read directly.
/// </summary>
[Collection(ReplicationSuite.Name)]
public sealed class WriteSnapshotRaceTests(TwoNodes cluster) : ReplicationTestBase(cluster)
{
    [PostgresTheory]
    [InlineData("UPDATE {0} SET n = n + 1 WHERE id = (SELECT max(id) FROM {0})", false)]
    [InlineData("INSERT INTO {1} SELECT max(id) FROM {0}", false)]
    [InlineData("UPDATE {0} SET n = n + 1 WHERE id = (SELECT max(id) FROM {0})", true)]
    public async Task A_write_that_reads_sees_the_same_rows_on_every_node(string sql, bool npgsql)
    {
        var table = await CreateReplicatedTableAsync("wsrace", "id int primary key, n int not null default 0");
        var log = await CreateReplicatedTableAsync("wslog", "v int");
        await ExecuteOnProxyAsync($"INSERT INTO {table} VALUES (1, 0)");
        using (var hold = new CommitHold(Proxy.Runtime.TwoPhase))
        {
            var insert = ExecuteOnProxyAsync($"INSERT INTO {table} VALUES (2, 0)");
            await hold.Reached.WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(2L, await NodeSql.ScalarAsync<long>(Nodes[0], $"SELECT count(*) FROM {table}"));
            Assert.Equal(1L, await NodeSql.ScalarAsync<long>(Nodes[1], $"SELECT count(*) FROM {table}"));

            var text = string.Format(System.Globalization.CultureInfo.InvariantCulture, sql, table, log);
            if (npgsql)
            {
                await using var conn = await OpenAsync();
                await using var command = new NpgsqlCommand(text, conn);
                var writing = command.ExecuteNonQueryAsync();
                await Task.Delay(500); // it waits for the commit in flight (it used to run at once)
                hold.Release();
                Assert.Equal(1, await writing.WaitAsync(TimeSpan.FromSeconds(30)));
            }
            else
            {
                var psql = PgTools.PsqlAsync(Proxy.Port, "-v", "ON_ERROR_STOP=1", "-c", text);
                await Task.Delay(500);
                hold.Release();
                var result = await psql.WaitAsync(TimeSpan.FromSeconds(30));
                Assert.True(result.Succeeded, result.StdErr);
            }

            await insert;
        }

        Assert.Equal(2, await AssertNodesIdenticalAsync(table, "id"));
        await AssertNodesIdenticalAsync(log, "v");
        Assert.Equal(sql.StartsWith("UPDATE", StringComparison.Ordinal) ? 1 : 0,
            await NodeSql.ScalarAsync<int>(Nodes[1], $"SELECT n FROM {table} WHERE id = 2"));
    }
}

using Npgsql;
using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Replication;

/// <summary>
/// A write that copies what each node knows only of itself (pg_class's relfilenode and relfrozenxid, statistics
/// views) would store different rows on every node; through two nodes it is refused (nondeterministic_write = error)
/// and creates nothing anywhere. The regression suite's create_table (<c>CREATE TABLE … AS SELECT * FROM pg_class</c>)
/// failed by timing before: concurrent DDL made the row counts differ, and the rows always did.
/// </summary>
[Collection(ReplicationSuite.Name)]
public sealed class NodeStateWriteTests(TwoNodes cluster) : ReplicationTestBase(cluster)
{
    [PostgresFact]
    public async Task Create_table_as_select_star_from_pg_class_is_refused_in_both_protocols_and_creates_nothing()
    {
        var name = $"as_select_{Guid.NewGuid():N}"[..24];
        var sql = $"CREATE TABLE {name} AS SELECT * FROM pg_class WHERE relkind = 'r'";

        var psql = await PgTools.PsqlAsync(Proxy.Port, "-v", "ON_ERROR_STOP=1", "-v", "VERBOSITY=verbose", "-c", sql);
        Assert.False(psql.Succeeded);
        Assert.Contains("0A000", psql.StdErr, StringComparison.Ordinal);
        Assert.Contains("relfilenode", psql.StdErr, StringComparison.Ordinal);

        await using var conn = await OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        var error = await Assert.ThrowsAsync<PostgresException>(() => cmd.ExecuteNonQueryAsync());
        Assert.Equal("0A000", error.SqlState);

        foreach (var node in Nodes)
        {
            Assert.Equal(0L, await NodeSql.ScalarAsync<long>(node,
                $"SELECT count(*) FROM pg_class WHERE relname = '{name}'"));
        }
    }

    [PostgresFact]
    public async Task An_insert_of_statistics_is_refused_and_the_session_goes_on()
    {
        var table = await CreateReplicatedTableAsync("hits", "relname text, n bigint");
        await using var conn = await OpenAsync();
        await using (var insert = new NpgsqlCommand(
                         $"INSERT INTO {table} SELECT relname, n_tup_ins FROM pg_stat_user_tables", conn))
        {
            var error = await Assert.ThrowsAsync<PostgresException>(() => insert.ExecuteNonQueryAsync());
            Assert.Equal("0A000", error.SqlState);
        }

        await using (var ok = new NpgsqlCommand($"INSERT INTO {table} VALUES ('x', 1)", conn))
        {
            Assert.Equal(1, await ok.ExecuteNonQueryAsync());
        }

        Assert.Equal(1, await AssertNodesIdenticalAsync(table, "relname"));
    }

    [PostgresFact]
    public async Task Catalog_columns_every_node_shares_and_temporary_tables_are_written()
    {
        var table = await CreateReplicatedTableAsync("names", "relname text, relkind text");
        await using var conn = await OpenAsync();
        await using (var insert = new NpgsqlCommand(
                         $"INSERT INTO {table} SELECT relname, relkind FROM pg_class WHERE relname = 'pg_class'", conn))
        {
            Assert.Equal(1, await insert.ExecuteNonQueryAsync());
        }

        // A temporary table lives in this session alone; its reads see the node that stored the values.
        await using (var temp = new NpgsqlCommand(
                         "CREATE TEMP TABLE before_sizes AS SELECT relname, relfilenode FROM pg_class " +
                         "WHERE relname = 'pg_class'", conn))
        {
            await temp.ExecuteNonQueryAsync();
        }

        await using (var read = new NpgsqlCommand("SELECT count(*) FROM before_sizes", conn))
        {
            Assert.Equal(1L, await read.ExecuteScalarAsync());
        }

        Assert.Equal(1, await AssertNodesIdenticalAsync(table, "relname"));
    }
}

using Npgsql;
using NpgsqlTypes;
using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Npgsql;

[Collection(NpgsqlSuite.Name)]
public sealed class QueryTests(OneNode cluster) : ProxyTestBase(cluster)
{
    [PostgresFact]
    public async Task ExecuteScalar_PlainSelect_ReturnsValue()
    {
        await using var conn = await OpenAsync();
        await using var cmd = new NpgsqlCommand("SELECT 'hello through pgproxy'", conn);

        Assert.Equal("hello through pgproxy", await cmd.ExecuteScalarAsync());
    }

    [PostgresFact]
    public async Task ExecuteReader_TwoStatements_ReturnsTwoResults()
    {
        await using var conn = await OpenAsync();
        await using var cmd = new NpgsqlCommand("select 1; select 2", conn);
        await using var reader = await cmd.ExecuteReaderAsync();

        Assert.True(await reader.ReadAsync());
        Assert.Equal(1, reader.GetInt32(0));
        Assert.False(await reader.ReadAsync());
        Assert.True(await reader.NextResultAsync());
        Assert.True(await reader.ReadAsync());
        Assert.Equal(2, reader.GetInt32(0));
        Assert.False(await reader.NextResultAsync());
    }

    [PostgresFact]
    public async Task ExecuteReader_Parameters_BindsEveryType()
    {
        await using var conn = await OpenAsync();
        await using var cmd = new NpgsqlCommand("SELECT $1 + 1, $2 || '!', length($3), $4::date", conn);
        cmd.Parameters.Add(new NpgsqlParameter { Value = 41 });
        cmd.Parameters.Add(new NpgsqlParameter { Value = "hi", NpgsqlDbType = NpgsqlDbType.Text });
        cmd.Parameters.Add(new NpgsqlParameter { Value = new byte[] { 0, 1, 2, 255 } });
        cmd.Parameters.Add(new NpgsqlParameter { Value = new DateOnly(2024, 2, 29) });
        await using var reader = await cmd.ExecuteReaderAsync();

        Assert.True(await reader.ReadAsync());
        Assert.Equal(42, reader.GetInt32(0));
        Assert.Equal("hi!", reader.GetString(1));
        Assert.Equal(4, reader.GetInt32(2));
        Assert.Equal(new DateOnly(2024, 2, 29), reader.GetFieldValue<DateOnly>(3));
    }

    [PostgresFact]
    public async Task ExecuteBatch_InsertAndSelects_AllResultsInOrderAndRowsOnNode()
    {
        var table = await CreateTableOnNodeAsync("batch", "id int PRIMARY KEY, name text");
        await using var conn = await OpenAsync();
        await using var batch = new NpgsqlBatch(conn)
        {
            BatchCommands =
            {
                new NpgsqlBatchCommand($"INSERT INTO {table} VALUES (1, 'a'), (2, 'b'), (3, 'c')"),
                new NpgsqlBatchCommand($"SELECT count(*) FROM {table}"),
                new NpgsqlBatchCommand($"UPDATE {table} SET name = upper(name) WHERE id >= $1") { Parameters = { new() { Value = 2 } } },
                new NpgsqlBatchCommand($"SELECT string_agg(name, ',' ORDER BY id) FROM {table}"),
            },
        };
        await using (var reader = await batch.ExecuteReaderAsync())
        {
            Assert.True(await reader.ReadAsync());
            Assert.Equal(3L, reader.GetInt64(0));
            Assert.True(await reader.NextResultAsync());
            Assert.True(await reader.ReadAsync());
            Assert.Equal("a,B,C", reader.GetString(0));
            Assert.False(await reader.NextResultAsync());
        }

        Assert.Equal(3, batch.BatchCommands[0].RecordsAffected);
        Assert.Equal(2, batch.BatchCommands[2].RecordsAffected);
        Assert.Equal("a,B,C", await NodeSql.ScalarAsync<string>(Node, $"SELECT string_agg(name, ',' ORDER BY id) FROM {table}"));
    }

    [PostgresFact]
    public async Task Prepare_ExecutedManyTimes_UsesServerPreparedStatement()
    {
        await using var conn = await OpenAsync();
        await using var cmd = new NpgsqlCommand("SELECT $1 * 2", conn);
        var parameter = new NpgsqlParameter<int> { TypedValue = 0 };
        cmd.Parameters.Add(parameter);
        await cmd.PrepareAsync();

        for (var i = 0; i < 200; i++)
        {
            parameter.TypedValue = i;
            Assert.Equal(i * 2, await cmd.ExecuteScalarAsync());
        }

        Assert.True(cmd.IsPrepared);
        await using var check = new NpgsqlCommand("SELECT count(*) FROM pg_prepared_statements WHERE statement = 'SELECT $1 * 2'", conn);
        Assert.Equal(1L, await check.ExecuteScalarAsync());
    }
}

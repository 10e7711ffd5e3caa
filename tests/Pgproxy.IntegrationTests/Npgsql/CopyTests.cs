using System.Text;
using Npgsql;
using NpgsqlTypes;
using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Npgsql;

[Collection(NpgsqlSuite.Name)]
public sealed class CopyTests(OneNode cluster) : ProxyTestBase(cluster)
{
    private const int Rows = 10_000;

    [PostgresFact]
    public async Task BeginBinaryImport_TenThousandRows_AllRowsOnNode()
    {
        var table = await CreateTableOnNodeAsync("copy_bin", "id int PRIMARY KEY, name text, payload bytea");
        await using var conn = await OpenAsync();
        ulong written;
        await using (var importer = await conn.BeginBinaryImportAsync($"COPY {table} (id, name, payload) FROM STDIN (FORMAT BINARY)"))
        {
            for (var i = 1; i <= Rows; i++)
            {
                await importer.StartRowAsync();
                await importer.WriteAsync(i, NpgsqlDbType.Integer);
                await importer.WriteAsync("name " + i, NpgsqlDbType.Text);
                await importer.WriteAsync(BitConverter.GetBytes(i), NpgsqlDbType.Bytea);
            }

            written = await importer.CompleteAsync();
        }

        Assert.Equal((ulong)Rows, written);
        Assert.Equal(Rows, await NodeSql.CountAsync(Node, table));
        Assert.Equal((long)Rows * (Rows + 1) / 2, await NodeSql.ScalarAsync<long>(Node, $"SELECT sum(id) FROM {table}"));
        await using var usable = new NpgsqlCommand("SELECT 1", conn);
        Assert.Equal(1, await usable.ExecuteScalarAsync());
    }

    [PostgresFact]
    public async Task BeginTextImport_TenThousandLines_AllRowsOnNode()
    {
        var table = await CreateTableOnNodeAsync("copy_text", "id int PRIMARY KEY, name text");
        await using var conn = await OpenAsync();
        await using (var writer = await conn.BeginTextImportAsync($"COPY {table} (id, name) FROM STDIN"))
        {
            for (var i = 1; i <= Rows; i++)
            {
                await writer.WriteAsync($"{i}\tline {i}\n");
            }
        }

        Assert.Equal(Rows, await NodeSql.CountAsync(Node, table));
        Assert.Equal("line 777", await NodeSql.ScalarAsync<string>(Node, $"SELECT name FROM {table} WHERE id = 777"));
    }

    [PostgresFact]
    public async Task BeginTextExport_TenThousandRows_ArriveInOrder()
    {
        await using var conn = await OpenAsync();
        var lines = new List<string>();
        using (var reader = await conn.BeginTextExportAsync($"COPY (SELECT i, 'row ' || i FROM generate_series(1, {Rows}) i) TO STDOUT"))
        {
            while (await reader.ReadLineAsync() is { } line)
            {
                lines.Add(line);
            }
        }

        Assert.Equal(Rows, lines.Count);
        Assert.Equal("1\trow 1", lines[0]);
        Assert.Equal($"{Rows}\trow {Rows}", lines[^1]);
        await using var usable = new NpgsqlCommand("SELECT 2", conn);
        Assert.Equal(2, await usable.ExecuteScalarAsync());
    }

    [PostgresFact]
    public async Task BeginRawBinaryCopy_ToStdout_SameBytesAsNodeDirectly()
    {
        var table = await CreateTableOnNodeAsync("copy_raw", "id int PRIMARY KEY, name text");
        await NodeSql.ExecuteAsync(Node, $"INSERT INTO {table} SELECT i, repeat('x', i % 100) FROM generate_series(1, {Rows}) i");
        var sql = $"COPY (SELECT * FROM {table} ORDER BY id) TO STDOUT (FORMAT BINARY)";

        await using var conn = await OpenAsync();
        var viaProxy = await ReadRawAsync(conn, sql);
        await using var direct = new NpgsqlConnection(Node.ConnectionString);
        await direct.OpenAsync();
        var viaNode = await ReadRawAsync(direct, sql);

        Assert.StartsWith("PGCOPY\n\xff\r\n\0", Encoding.Latin1.GetString(viaProxy, 0, 11), StringComparison.Ordinal);
        Assert.Equal(viaNode.Length, viaProxy.Length);
        Assert.Equal(viaNode, viaProxy);
    }

    private static async Task<byte[]> ReadRawAsync(NpgsqlConnection conn, string sql)
    {
        using var buffer = new MemoryStream();
        await using (var raw = await conn.BeginRawBinaryCopyAsync(sql))
        {
            await raw.CopyToAsync(buffer);
        }

        return buffer.ToArray();
    }
}

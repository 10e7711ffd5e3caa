using Npgsql;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Support;

/// <summary>
/// Reads pgproxy's catalog straight from the system DB (database <c>pgproxy</c>), never through pgproxy.
/// </summary>
internal sealed class SystemDbSql(PostgresInstance systemDb, string schema)
{
    public string Schema => schema;

    /// <summary>A fresh schema name, so tests sharing the system DB never see each other's catalog.</summary>
    public static string UniqueSchema() => "cat_" + Guid.NewGuid().ToString("N")[..12];

    public async Task<T?> ScalarAsync<T>(string sql)
    {
        await using var conn = await OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        var value = await cmd.ExecuteScalarAsync();
        return value is null or DBNull ? default : (T)value;
    }

    /// <summary>The catalog's tables, by name; empty while the schema does not exist.</summary>
    public async Task<IReadOnlyList<string>> TablesAsync()
    {
        await using var conn = await OpenAsync();
        await using var cmd = new NpgsqlCommand(
            "SELECT table_name::text FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1", conn);
        cmd.Parameters.Add(new NpgsqlParameter { Value = schema });
        return await ReadAllAsync(cmd, r => r.GetString(0));
    }

    /// <summary>Every row of <c>nodes</c>; empty while the table does not exist.</summary>
    public async Task<IReadOnlyList<(int NodeId, string Status, string Role, string Reason)>> NodesAsync()
    {
        if (!(await TablesAsync()).Contains("nodes"))
        {
            return [];
        }

        await using var conn = await OpenAsync();
        await using var cmd = new NpgsqlCommand(
            $"SELECT node_id, status, role, reason FROM \"{schema}\".nodes ORDER BY node_id", conn);
        return await ReadAllAsync(cmd, r => (r.GetInt32(0), r.GetString(1), r.GetString(2), r.GetString(3)));
    }

    /// <summary>Every row of <c>node_events</c> in the order written; empty while the table does not exist.</summary>
    public async Task<IReadOnlyList<(int NodeId, string Previous, string Current, string Reason, int MainBefore,
        int MainAfter)>> EventsAsync()
    {
        if (!(await TablesAsync()).Contains("node_events"))
        {
            return [];
        }

        await using var conn = await OpenAsync();
        await using var cmd = new NpgsqlCommand(
            $"SELECT node_id, previous, current, reason, main_before, main_after FROM \"{schema}\".node_events " +
            "ORDER BY id", conn);
        return await ReadAllAsync(cmd, r => (r.GetInt32(0), r.GetString(1), r.GetString(2), r.GetString(3),
            r.GetInt32(4), r.GetInt32(5)));
    }

    /// <summary>Records a node status in the catalog by hand, as another pgproxy run would have left it.</summary>
    public async Task ExecuteAsync(string sql)
    {
        await using var conn = await OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        await cmd.ExecuteNonQueryAsync();
    }

    private async Task<NpgsqlConnection> OpenAsync()
    {
        var conn = new NpgsqlConnection(systemDb.ConnectionStringFor("pgproxy"));
        await conn.OpenAsync();
        return conn;
    }

    private static async Task<IReadOnlyList<T>> ReadAllAsync<T>(NpgsqlCommand cmd, Func<NpgsqlDataReader, T> read)
    {
        await using var reader = await cmd.ExecuteReaderAsync();
        var rows = new List<T>();
        while (await reader.ReadAsync())
        {
            rows.Add(read(reader));
        }

        return rows;
    }
}

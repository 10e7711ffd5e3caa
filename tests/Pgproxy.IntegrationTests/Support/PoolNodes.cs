using Npgsql;

namespace Pgproxy.IntegrationTests.Support;

/// <summary>Asks pgproxy <c>SHOW POOL_NODES</c> and returns each node's status column, by node id.</summary>
internal static class PoolNodes
{
    public static async Task<IReadOnlyDictionary<int, string>> StatusesAsync(string connectionString)
    {
        await using var conn = new NpgsqlConnection(connectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand("SHOW POOL_NODES", conn);
        await using var reader = await cmd.ExecuteReaderAsync();
        var statuses = new Dictionary<int, string>();
        while (await reader.ReadAsync())
        {
            statuses[int.Parse(reader.GetString(0), System.Globalization.CultureInfo.InvariantCulture)] =
                reader.GetString(reader.GetOrdinal("status"));
        }

        return statuses;
    }
}

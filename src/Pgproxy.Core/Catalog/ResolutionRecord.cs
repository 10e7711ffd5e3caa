using Npgsql;

namespace Pgproxy.Core.Catalog;

/// <summary>
/// Writes one resolution of a prepared transaction (DESIGN §3.9) to the system DB's
/// <c>prepared_transaction_resolutions</c>: rare, off the client path, so a connection of its own per row. Best
/// effort: the caller logs a failure, the resolution itself stands.
/// </summary>
internal static class ResolutionRecord
{
    public static async Task WriteAsync(SystemDbSettings settings, string gid, int nodeId, string database,
        bool committed, string reason, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(settings.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var insert = new NpgsqlCommand(
            $"INSERT INTO {settings.QuotedSchema}.prepared_transaction_resolutions " +
            "(gid, node_id, database_name, outcome, reason) VALUES ($1, $2, $3, $4, $5)", connection);
        insert.Parameters.AddWithValue(gid);
        insert.Parameters.AddWithValue(nodeId);
        insert.Parameters.AddWithValue(database);
        insert.Parameters.AddWithValue(committed ? "committed" : "rolled back");
        insert.Parameters.AddWithValue(reason);
        await insert.ExecuteNonQueryAsync(cancellationToken);
    }
}

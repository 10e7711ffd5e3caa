using Npgsql;
using Pgproxy.Core.Catalog;

namespace Pgproxy.Core.Recovery;

/// <summary>
/// Writes a recovery's phases to the system DB's <c>recovery_journal</c> (catalog step 4): one row per phase with
/// main's WAL position then. Best effort, as the catalog's other records: a failure is returned for the log and
/// the recovery goes on; after one failure the journal stays quiet for the rest of the recovery, so a missing
/// system DB costs one connection attempt, not one per phase.
/// </summary>
internal sealed class RecoveryJournal(SystemDbSettings settings, string recoveryId, int nodeId, string requestedBy)
{
    private bool _broken;

    public int NodeId => nodeId;

    /// <summary>Appends one row; null when written (or skipped after an earlier failure), else the problem.</summary>
    public async Task<string?> WriteAsync(string phase, string? lsn, string detail, CancellationToken ct)
    {
        if (_broken)
        {
            return null;
        }

        try
        {
            await using var connection = new NpgsqlConnection(settings.ConnectionString);
            await connection.OpenAsync(ct);
            await using var insert = new NpgsqlCommand(
                $"INSERT INTO {settings.QuotedSchema}.recovery_journal " +
                "(node_id, recovery_id, phase, lsn, detail, user_name) VALUES ($1, $2, $3, $4::pg_lsn, $5, $6)",
                connection);
            insert.Parameters.AddWithValue(nodeId);
            insert.Parameters.AddWithValue(recoveryId);
            insert.Parameters.AddWithValue(phase);
            insert.Parameters.AddWithValue((object?)lsn ?? DBNull.Value);
            insert.Parameters.AddWithValue(detail);
            insert.Parameters.AddWithValue(requestedBy);
            await insert.ExecuteNonQueryAsync(ct);
            return null;
        }
        catch (Exception e) when (e is NpgsqlException or IOException or TimeoutException or InvalidOperationException)
        {
            _broken = true;
            return e.Message;
        }
    }
}

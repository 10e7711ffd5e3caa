using Npgsql;
using Pgproxy.Core.Catalog;

namespace Pgproxy.Core.Consistency;

/// <summary>
/// Writes a finished consistency check to the system DB's <c>consistency_results</c>: one row per table and node
/// (its digest, and the finding that names it if any), plus one per finding that has no digest (a table or database
/// missing, a sequence). Off the client path, one connection and one COPY per run; best effort, as the caller logs
/// a failure and the check's outcome stands.
/// </summary>
internal static class CheckRecord
{
    public static async Task WriteAsync(SystemDbSettings settings, long runId, DateTimeOffset checkedAt,
        IReadOnlyList<DatabaseCheck> databases, IReadOnlyList<CheckFinding> findings, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(settings.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var import = await connection.BeginBinaryImportAsync(
            $"COPY {settings.QuotedSchema}.consistency_results (run_id, checked_at, database_name, table_name, " +
            "node_id, row_count, row_hash, matches_main, verdict, detail, ranges, keys) FROM STDIN (FORMAT BINARY)",
            cancellationToken);
        var named = new HashSet<CheckFinding>();
        foreach (var database in databases)
        {
            foreach (var digest in database.Digests)
            {
                var finding = findings.FirstOrDefault(f => f.Database == database.Database
                                                           && f.Relation == digest.Relation && f.NodeId == digest.NodeId);
                if (finding is not null)
                {
                    named.Add(finding);
                }

                await WriteRowAsync(import, runId, checkedAt, database.Database, digest.Relation, digest.NodeId,
                    digest.Rows, digest.Hash, finding, cancellationToken);
            }
        }

        foreach (var finding in findings.Where(f => !named.Contains(f)))
        {
            await WriteRowAsync(import, runId, checkedAt, finding.Database, finding.Relation, finding.NodeId, null,
                null, finding, cancellationToken);
        }

        await import.CompleteAsync(cancellationToken);
    }

    private static async Task WriteRowAsync(NpgsqlBinaryImporter import, long runId, DateTimeOffset checkedAt,
        string database, string relation, int nodeId, long? rows, string? hash, CheckFinding? finding,
        CancellationToken cancellationToken)
    {
        await import.StartRowAsync(cancellationToken);
        await import.WriteAsync(runId, NpgsqlTypes.NpgsqlDbType.Bigint, cancellationToken);
        await import.WriteAsync(checkedAt, NpgsqlTypes.NpgsqlDbType.TimestampTz, cancellationToken);
        await import.WriteAsync(database, NpgsqlTypes.NpgsqlDbType.Text, cancellationToken);
        await import.WriteAsync(relation, NpgsqlTypes.NpgsqlDbType.Text, cancellationToken);
        await import.WriteAsync(nodeId, NpgsqlTypes.NpgsqlDbType.Integer, cancellationToken);
        if (rows is { } count)
        {
            await import.WriteAsync(count, NpgsqlTypes.NpgsqlDbType.Bigint, cancellationToken);
        }
        else
        {
            await import.WriteNullAsync(cancellationToken);
        }

        await import.WriteAsync(hash, NpgsqlTypes.NpgsqlDbType.Text, cancellationToken);
        await import.WriteAsync(finding is null, NpgsqlTypes.NpgsqlDbType.Boolean, cancellationToken);
        await import.WriteAsync(CheckVerdicts.Of(finding), NpgsqlTypes.NpgsqlDbType.Text, cancellationToken);
        await import.WriteAsync(finding?.Detail ?? "", NpgsqlTypes.NpgsqlDbType.Text, cancellationToken);
        await import.WriteAsync((finding?.Ranges ?? []).ToArray(), NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text,
            cancellationToken);
        await import.WriteAsync((finding?.Keys ?? []).ToArray(), NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text,
            cancellationToken);
    }
}

using Npgsql;
using NpgsqlTypes;

namespace Pgproxy.Core.Catalog;

/// <summary>
/// One open connection to the system DB and the statements pgproxy runs there: create or migrate the schema,
/// read the saved node statuses, write node rows and status events. Used by one thread at a time (start-up,
/// then the <see cref="CatalogWriter"/>); any exception means the connection is to be dropped and reopened.
/// </summary>
internal sealed class SystemDbCatalog : IAsyncDisposable
{
    /// <summary>
    /// Taken (per transaction) around schema changes, so that two pgproxies starting against one system DB
    /// never apply the same step twice. The value is arbitrary; it only has to be pgproxy's own.
    /// </summary>
    private const long MigrationLockKey = 0x7067_7072_6F78_7901;

    private readonly NpgsqlConnection _connection;
    private readonly string _schema;

    private SystemDbCatalog(NpgsqlConnection connection, SystemDbSettings settings)
    {
        _connection = connection;
        _schema = settings.QuotedSchema;
    }

    /// <summary>The schema version in the system DB after <see cref="OpenAsync"/> (may be newer than ours).</summary>
    public int SchemaVersion { get; private set; }

    /// <summary>The steps this connection applied (empty when the schema was already current).</summary>
    public IReadOnlyList<CatalogMigration> Applied { get; private set; } = [];

    /// <summary>Connects and brings the schema up to date; throws (and closes) on any failure.</summary>
    public static async Task<SystemDbCatalog> OpenAsync(SystemDbSettings settings, CancellationToken cancellationToken)
    {
        var connection = new NpgsqlConnection(settings.ConnectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
            var catalog = new SystemDbCatalog(connection, settings);
            await catalog.MigrateAsync(settings.Schema, cancellationToken);
            return catalog;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>Every row of <c>nodes</c>: the statuses a previous run left.</summary>
    public async Task<IReadOnlyList<SavedNodeStatus>> ReadNodeStatusesAsync(CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            $"SELECT node_id, status, last_status_change, reason FROM {_schema}.nodes ORDER BY node_id", _connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var rows = new List<SavedNodeStatus>();
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(new SavedNodeStatus(reader.GetInt32(0), CatalogStatusNames.Parse(reader.GetString(1)),
                reader.GetFieldValue<DateTimeOffset>(2), reader.GetString(3)));
        }

        return rows;
    }

    /// <summary>
    /// In one transaction: appends <paramref name="events"/> (each at most once, by its uid) and writes
    /// <paramref name="nodes"/> as they are now. With <paramref name="allNodes"/> the rows of nodes no longer
    /// configured are removed too, so that <c>nodes</c> lists exactly the configured nodes.
    /// </summary>
    public async Task WriteAsync(IReadOnlyList<PendingNodeEvent> events, IReadOnlyList<CatalogNodeRow> nodes,
        bool allNodes, CancellationToken cancellationToken)
    {
        await using var transaction = await _connection.BeginTransactionAsync(cancellationToken);
        await using var batch = new NpgsqlBatch(_connection, transaction);
        foreach (var pending in events)
        {
            var change = pending.Change;
            batch.BatchCommands.Add(Command(
                $"""
                INSERT INTO {_schema}.node_events
                    (event_uid, node_id, previous, current, reason, at, main_before, main_after)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (event_uid) DO NOTHING
                """,
                pending.Uid, change.NodeId, CatalogStatusNames.Of(change.Previous),
                CatalogStatusNames.Of(change.Current), change.Reason, change.At, change.MainBefore, change.MainAfter));
        }

        foreach (var row in nodes)
        {
            batch.BatchCommands.Add(Command(
                $"""
                INSERT INTO {_schema}.nodes
                    (node_id, hostname, port, status, role, weight, last_status_change, reason)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                ON CONFLICT (node_id) DO UPDATE SET hostname = EXCLUDED.hostname, port = EXCLUDED.port,
                    status = EXCLUDED.status, role = EXCLUDED.role, weight = EXCLUDED.weight,
                    last_status_change = EXCLUDED.last_status_change, reason = EXCLUDED.reason
                """,
                row.NodeId, row.Hostname, row.Port, CatalogStatusNames.Of(row.Status), row.Role, row.Weight,
                row.LastStatusChange, row.Reason));
        }

        if (allNodes)
        {
            var ids = new NpgsqlParameter
            {
                Value = nodes.Select(n => n.NodeId).ToArray(),
                NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Integer,
            };
            var delete = new NpgsqlBatchCommand($"DELETE FROM {_schema}.nodes WHERE node_id <> ALL($1)");
            delete.Parameters.Add(ids);
            batch.BatchCommands.Add(delete);
        }

        if (batch.BatchCommands.Count > 0)
        {
            await batch.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
    }

    public ValueTask DisposeAsync() => _connection.DisposeAsync();

    private static NpgsqlBatchCommand Command(string sql, params object[] values)
    {
        var command = new NpgsqlBatchCommand(sql);
        foreach (var value in values)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        }

        return command;
    }

    /// <summary>
    /// Creates the schema and <c>schema_version</c> when missing, then applies every step newer than the
    /// recorded version, each in its own transaction under the migration lock. Existence is checked before
    /// anything is created, so a user without CREATE rights works against a schema somebody else made.
    /// </summary>
    private async Task MigrateAsync(string schemaName, CancellationToken cancellationToken)
    {
        await using (var transaction = await _connection.BeginTransactionAsync(cancellationToken))
        {
            await LockAsync(cancellationToken);
            var schemaExists = await ScalarAsync<bool>(
                "SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)", cancellationToken, schemaName);
            if (!schemaExists)
            {
                await ExecuteAsync($"CREATE SCHEMA {_schema}", cancellationToken);
            }

            var versionTableExists = await ScalarAsync<bool>(
                "SELECT to_regclass($1) IS NOT NULL", cancellationToken, _schema + ".schema_version");
            if (!versionTableExists)
            {
                await ExecuteAsync(
                    $"""
                    CREATE TABLE {_schema}.schema_version (
                        version     integer PRIMARY KEY,
                        description text NOT NULL,
                        applied_at  timestamptz NOT NULL DEFAULT now()
                    )
                    """,
                    cancellationToken);
            }

            SchemaVersion = await CurrentVersionAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }

        var applied = new List<CatalogMigration>();
        foreach (var migration in CatalogMigrations.All.Where(m => m.Version > SchemaVersion))
        {
            await using var transaction = await _connection.BeginTransactionAsync(cancellationToken);
            await LockAsync(cancellationToken);
            if (await CurrentVersionAsync(cancellationToken) >= migration.Version)
            {
                continue; // another pgproxy applied it while we waited for the lock
            }

            await ExecuteAsync(migration.Sql.Replace("{schema}", _schema, StringComparison.Ordinal),
                cancellationToken);
            await ExecuteAsync($"INSERT INTO {_schema}.schema_version (version, description) VALUES ($1, $2)",
                cancellationToken, migration.Version, migration.Description);
            await transaction.CommitAsync(cancellationToken);
            applied.Add(migration);
        }

        Applied = applied;
        SchemaVersion = await CurrentVersionAsync(cancellationToken);
    }

    private Task<int> CurrentVersionAsync(CancellationToken cancellationToken) =>
        ScalarAsync<int>($"SELECT coalesce(max(version), 0) FROM {_schema}.schema_version", cancellationToken);

    private Task LockAsync(CancellationToken cancellationToken) =>
        ExecuteAsync("SELECT pg_advisory_xact_lock($1)", cancellationToken, MigrationLockKey);

    private async Task ExecuteAsync(string sql, CancellationToken cancellationToken, params object[] values)
    {
        await using var command = CreateCommand(sql, values);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private async Task<T> ScalarAsync<T>(string sql, CancellationToken cancellationToken, params object[] values)
    {
        await using var command = CreateCommand(sql, values);
        return (T)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    private NpgsqlCommand CreateCommand(string sql, object[] values)
    {
        var command = new NpgsqlCommand(sql, _connection);
        foreach (var value in values)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        }

        return command;
    }
}

using Npgsql;

namespace Pgproxy.Core.Recovery;

/// <summary>
/// Drops a recovery's publication on main without failing the clients that write meanwhile. PostgreSQL 15 has a
/// race there: an UPDATE or DELETE that rebuilds its table's publication list while a DROP PUBLICATION commits can
/// find the publication's oid in the list and no longer its row, and fails with XX000 "cache lookup failed for
/// publication" (measured here: 8 writers directly on a node, a publication FOR ALL TABLES created and dropped in a
/// loop, several such errors in every 15 s run). A writer rebuilds that list only while it holds its table's ROW
/// EXCLUSIVE lock, so the drop holds SHARE on every table of the publication: no write is in flight when it
/// commits, and the writers that waited see the publication gone whole. It waits for those locks as
/// <see cref="MainWaits"/> says: a writer whose next table is one the drop holds waits on it while the drop
/// waits on the writer, and it is the drop that gives up (and tries again), never the client's transaction.
/// </summary>
internal static class PublicationDrop
{
    private const int Attempts = 50;

    private static readonly TimeSpan Pause = TimeSpan.FromMilliseconds(50);

    private const string PublishedTables =
        "SELECT pg_catalog.format('%I.%I', schemaname, tablename) FROM pg_catalog.pg_publication_tables " +
        "WHERE pubname = $1";

    /// <summary>
    /// Drops <paramref name="publication"/> holding its tables; after <see cref="Attempts"/> tries that could not
    /// get the locks (writers holding them all along), it is dropped without them, as PostgreSQL would.
    /// </summary>
    public static async Task DropAsync(NpgsqlConnection connection, string publication, CancellationToken ct)
    {
        var drop = $"DROP PUBLICATION {RecoveryConnector.Ident(publication)}";
        for (var attempt = 1; attempt <= Attempts; attempt++)
        {
            await using var transaction = await connection.BeginTransactionAsync(ct);
            try
            {
                await RecoveryConnector.ExecuteAsync(connection,
                    $"SET LOCAL lock_timeout = '{MainWaits.LockTimeout}'", ct);
                var tables = await RecoveryConnector.RowsAsync(connection, PublishedTables, ct, publication);
                if (tables.Count > 0)
                {
                    await RecoveryConnector.ExecuteAsync(connection,
                        $"LOCK TABLE {string.Join(", ", tables.Select(t => t[0]))} IN SHARE MODE", ct);
                }

                await RecoveryConnector.ExecuteAsync(connection, drop, ct);
                await transaction.CommitAsync(ct);
                return;
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.LockNotAvailable)
            {
                await transaction.RollbackAsync(ct);
                await Task.Delay(Pause, ct);
            }
        }

        await RecoveryConnector.ExecuteAsync(connection, drop, ct);
    }
}

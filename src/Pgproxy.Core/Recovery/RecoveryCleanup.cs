using System.Diagnostics;
using System.Globalization;
using Npgsql;
using Pgproxy.Core.Backends;

namespace Pgproxy.Core.Recovery;

/// <summary>
/// Removes what a recovery made (issue 15 item 8): the subscriptions on the node (disabled and detached from their
/// slot first, so that dropping them never needs main), the slots on main (the recovery's and the table-sync
/// ones of its subscriptions), the publications on main, and the replica identities given back as each
/// publication's comment lists them. Every step is tried whatever failed before; the problems are returned.
/// </summary>
internal sealed class RecoveryCleanup(RecoveryConnector connector)
{
    private const string OurSubscriptions =
        "SELECT s.oid, s.subname FROM pg_catalog.pg_subscription s WHERE s.subname LIKE $1 AND s.subdbid = " +
        "(SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database())";

    public List<string> Problems { get; } = [];

    /// <summary>
    /// Drops the recovery's subscriptions in every database of <paramref name="node"/> (only those named for
    /// <paramref name="nodeId"/>, or every pgproxy_recover_* one when null); returns their oids.
    /// </summary>
    public async Task<List<uint>> DropSubscriptionsAsync(BackendNode node, int? nodeId, CancellationToken ct)
    {
        var oids = new List<uint>();
        foreach (var database in await DatabasesAsync(node, ct))
        {
            await TryAsync($"subscriptions on node {node.NodeId}, database \"{database}\"", async () =>
            {
                await using var connection = await connector.OpenAsync(node, database, ct);
                var pattern = nodeId is { } id ? RecoveryNames.Subscription(id) : RecoveryNames.LikePattern;
                foreach (var row in await RecoveryConnector.RowsAsync(connection, OurSubscriptions, ct, pattern))
                {
                    oids.Add(uint.Parse(row[0]!, CultureInfo.InvariantCulture));
                    var name = RecoveryConnector.Ident(row[1]!);
                    await RecoveryConnector.ExecuteAsync(connection, $"ALTER SUBSCRIPTION {name} DISABLE", ct);
                    await RecoveryConnector.ExecuteAsync(connection, $"ALTER SUBSCRIPTION {name} SET (slot_name = NONE)",
                        ct);
                    await RecoveryConnector.ExecuteAsync(connection, $"DROP SUBSCRIPTION {name}", ct);
                }
            });
        }

        return oids;
    }

    /// <summary>
    /// Drops, on <paramref name="main"/>, the slots named <paramref name="slots"/> or matching
    /// <paramref name="likePatterns"/>, ending the WAL sender that still holds one.
    /// </summary>
    public async Task DropSlotsAsync(BackendNode main, IReadOnlyCollection<string> slots,
        IReadOnlyCollection<string> likePatterns, CancellationToken ct)
    {
        await TryAsync($"replication slots on node {main.NodeId}", async () =>
        {
            await using var connection = await connector.OpenAsync(main, "postgres", ct);
            for (var attempt = 0; attempt < 50; attempt++)
            {
                var rows = await RecoveryConnector.RowsAsync(connection,
                    "SELECT slot_name, active_pid FROM pg_catalog.pg_replication_slots " +
                    "WHERE slot_name = ANY($1) OR slot_name LIKE ANY($2)", ct, slots.ToArray(), likePatterns.ToArray());
                if (rows.Count == 0)
                {
                    return;
                }

                foreach (var row in rows)
                {
                    if (row[1] is { } pid)
                    {
                        // A WAL sender that has not noticed its subscriber left yet: it would hold the slot a while.
                        await RecoveryConnector.ExecuteAsync(connection,
                            $"SELECT pg_catalog.pg_terminate_backend({int.Parse(pid, CultureInfo.InvariantCulture)})", ct);
                        continue;
                    }

                    try
                    {
                        await RecoveryConnector.ExecuteAsync(connection,
                            "SELECT pg_catalog.pg_drop_replication_slot($1)", ct, row[0]!);
                    }
                    catch (PostgresException e) when (e.SqlState is "55006" or "42704")
                    {
                        // Taken again in between (55006) or gone already (42704): the next round looks again.
                    }
                }

                await Task.Delay(TimeSpan.FromMilliseconds(100), ct);
            }

            throw new RecoveryFailure("a slot stayed in use");
        });
    }

    /// <summary>
    /// Drops the recovery's publications (for <paramref name="nodeId"/>, or every pgproxy_recover_* one when null) in
    /// every database of <paramref name="main"/> and gives the replica identities their comment lists back.
    /// </summary>
    public async Task DropPublicationsAsync(BackendNode main, int? nodeId, CancellationToken ct)
    {
        foreach (var database in await DatabasesAsync(main, ct))
        {
            await TryAsync($"publications on node {main.NodeId}, database \"{database}\"", async () =>
            {
                await using var connection = await connector.OpenAsync(main, database, ct);
                var pattern = nodeId is { } id ? RecoveryNames.Publication(id) : RecoveryNames.LikePattern;
                var rows = await RecoveryConnector.RowsAsync(connection,
                    "SELECT pubname, coalesce(pg_catalog.obj_description(oid, 'pg_publication'), '') " +
                    "FROM pg_catalog.pg_publication WHERE pubname LIKE $1", ct, pattern);
                foreach (var row in rows)
                {
                    await PublicationDrop.DropAsync(connection, row[0]!, ct);
                    await RestoreIdentitiesAsync(connection, row[1]!, ct);
                }
            });
        }
    }

    /// <summary>
    /// Gives back the identities the recovery changed in <paramref name="database"/> on <paramref name="main"/>, from
    /// its own list: the publication whose comment has them may be gone (dropped by somebody else).
    /// </summary>
    public async Task RestoreIdentitiesAsync(BackendNode main, RecoveryDatabase database, CancellationToken ct)
    {
        if (database.Identities.Count == 0)
        {
            return;
        }

        await TryAsync($"replica identities on node {main.NodeId}, database \"{database.Name}\"", async () =>
        {
            await using var connection = await connector.OpenAsync(main, database.Name, ct);
            await RestoreIdentitiesAsync(connection,
                string.Concat(database.Identities.Select(i => $"{i.Identity} {i.Table}\n")), ct);
        });
    }

    /// <summary>
    /// Gives back the identities a publication's comment lists ("d schema.table" or "n schema.table" a line), to
    /// the tables still there that are still FULL (a user's own change in between stands). Each ALTER TABLE waits
    /// for its lock as <see cref="MainWaits"/> says, all of them together at most <see cref="RestoreLimit"/>;
    /// a table whose lock stayed held keeps FULL (it costs only WAL) and is named, with the statement to run.
    /// </summary>
    private static async Task RestoreIdentitiesAsync(NpgsqlConnection connection, string comment, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        var left = new List<string>();
        foreach (var line in comment.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var statement = $"ALTER TABLE {line[2..]} REPLICA IDENTITY {(line[0] == 'n' ? "NOTHING" : "DEFAULT")}";
            if (await RestoreIdentityAsync(connection, line[2..], statement, started, ct) is { } holder)
            {
                left.Add($"{statement} (locked by {holder})");
            }
        }

        if (left.Count > 0)
        {
            throw new RecoveryFailure("replica identities left FULL, their tables stayed locked; run later: " +
                                      string.Join("; ", left));
        }
    }

    /// <summary>How long the identities of one publication may wait for their tables' locks, all together.</summary>
    private static readonly TimeSpan RestoreLimit = TimeSpan.FromSeconds(20);

    /// <summary>Null when <paramref name="table"/> has its identity back (or needs none), else who holds it.</summary>
    private static async Task<string?> RestoreIdentityAsync(NpgsqlConnection connection, string table,
        string statement, long started, CancellationToken ct)
    {
        for (var attempt = 1;; attempt++)
        {
            await using var transaction = await connection.BeginTransactionAsync(ct);
            try
            {
                await RecoveryConnector.ExecuteAsync(connection,
                    $"SET LOCAL lock_timeout = '{MainWaits.LockTimeout}'", ct);
                if (await RecoveryConnector.ScalarAsync<bool>(connection,
                        "SELECT coalesce((SELECT relreplident = 'f' FROM pg_catalog.pg_class " +
                        "WHERE oid = pg_catalog.to_regclass($1)), false)", ct, table))
                {
                    await RecoveryConnector.ExecuteAsync(connection, statement, ct);
                }

                await transaction.CommitAsync(ct);
                return null;
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.LockNotAvailable)
            {
                await transaction.RollbackAsync(ct);
                if (Stopwatch.GetElapsedTime(started) > RestoreLimit)
                {
                    return await MainWaits.LockHolderAsync(connection, table, ct);
                }

                await Task.Delay(MainWaits.Pause(attempt), ct);
            }
        }
    }

    private async Task<List<string>> DatabasesAsync(BackendNode node, CancellationToken ct)
    {
        try
        {
            await using var connection = await connector.OpenAsync(node, "template1", ct);
            return [.. (await RecoveryConnector.RowsAsync(connection,
                    "SELECT datname FROM pg_catalog.pg_database WHERE datallowconn AND NOT datistemplate", ct))
                .Select(r => r[0]!)];
        }
        catch (Exception e) when (e is NpgsqlException or IOException or TimeoutException)
        {
            Problems.Add($"node {node.NodeId} ({node.Endpoint}) does not answer: {e.Message}");
            return [];
        }
    }

    private async Task TryAsync(string what, Func<Task> step)
    {
        try
        {
            await step();
        }
        catch (Exception e) when (e is NpgsqlException or IOException or TimeoutException or RecoveryFailure)
        {
            Problems.Add($"{what}: {e.Message}");
        }
    }
}

using System.Diagnostics;
using System.Globalization;
using System.Text;
using Npgsql;

namespace Pgproxy.Core.Recovery;

/// <summary>
/// Data and catch-up by PostgreSQL's own logical replication (issue 15 item 4), per database: on main, tables
/// without a primary key or replica identity get REPLICA IDENTITY FULL and a publication FOR ALL TABLES is made (in
/// one transaction, its comment listing the identities to give back, so that even a pgproxy that died can undo
/// them); on the node a subscription with copy_data copies every table and then applies main's changes until the
/// cutover drops it.
/// </summary>
internal sealed class LogicalCopy(RecoveryConnector connector, RecoveryPlan plan, RecoveryProgress progress)
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(200);

    private const string TablesNeedingIdentity =
        """
        SELECT c.oid::regclass::text, c.relreplident
        FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind = 'r' AND c.relpersistence = 'p'
          AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_toast%'
          AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                          WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
          AND (c.relreplident = 'n'
               OR (c.relreplident = 'd' AND NOT EXISTS
                   (SELECT 1 FROM pg_catalog.pg_index i WHERE i.indrelid = c.oid AND i.indisprimary))
               OR (c.relreplident = 'i' AND NOT EXISTS
                   (SELECT 1 FROM pg_catalog.pg_index i WHERE i.indrelid = c.oid AND i.indisreplident)))
        ORDER BY 1
        """;

    /// <summary>
    /// Makes the publication, its tables' identities and its comment in one transaction, so that they exist all or
    /// none. Each ALTER TABLE waits for its lock no longer than <see cref="MainWaits.LockTimeout"/>; when one
    /// has to wait longer, everything is undone and tried again after a pause (see <see cref="MainWaits"/>).
    /// </summary>
    public async Task PublishAsync(RecoveryDatabase database, CancellationToken ct)
    {
        await using var connection = await connector.OpenAsync(plan.Main, database.Name, ct);
        var wait = new LockWait(progress);
        while (await TryPublishAsync(connection, database, ct) is { } table)
        {
            await wait.PauseAsync(connection, table, $"database {database.Name}: waiting for the lock on table {table}",
                $"REPLICA IDENTITY FULL could not lock table {table} of database \"{database.Name}\" on main " +
                $"(backend node {plan.Main.NodeId})", ct);
        }

        if (wait.Waited)
        {
            progress.SetDetail($"database {database.Name}: published");
        }
    }

    /// <summary>One try of <see cref="PublishAsync"/>: null when done, else the table it could not lock.</summary>
    private async Task<string?> TryPublishAsync(NpgsqlConnection connection, RecoveryDatabase database,
        CancellationToken ct)
    {
        database.Identities.Clear();
        string? table = null;
        await using var transaction = await connection.BeginTransactionAsync(ct);
        try
        {
            await RecoveryConnector.ExecuteAsync(connection,
                $"SET LOCAL lock_timeout = '{MainWaits.LockTimeout}'", ct);
            var publication = RecoveryConnector.Ident(RecoveryNames.Publication(plan.Node.NodeId));
            var comment = new StringBuilder();
            foreach (var row in await RecoveryConnector.RowsAsync(connection, TablesNeedingIdentity, ct))
            {
                table = row[0]!;
                var identity = row[1]![0] == 'i' ? 'd' : row[1]![0];
                database.Identities.Add((table, identity));
                comment.Append(identity).Append(' ').Append(table).Append('\n');
                await RecoveryConnector.ExecuteAsync(connection, $"ALTER TABLE {table} REPLICA IDENTITY FULL", ct);
            }

            table = null;
            await RecoveryConnector.ExecuteAsync(connection, $"CREATE PUBLICATION {publication} FOR ALL TABLES", ct);
            await RecoveryConnector.ExecuteAsync(connection,
                $"COMMENT ON PUBLICATION {publication} IS {RecoveryConnector.Literal(comment.ToString())}", ct);
            await transaction.CommitAsync(ct);
            database.PublicationCreated = true;
            return null;
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.LockNotAvailable && table is not null)
        {
            await transaction.RollbackAsync(ct);
            database.Identities.Clear();
            return table;
        }
    }

    public async Task SubscribeAsync(RecoveryDatabase database, CancellationToken ct)
    {
        await using var connection = await connector.OpenAsync(plan.Node, database.Name, ct);
        var name = RecoveryNames.Subscription(plan.Node.NodeId);
        database.SubscriptionCreated = true; // from here on a failure may have left it: the cleanup looks
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var create = RecoveryConnector.ExecuteAsync(connection,
            $"CREATE SUBSCRIPTION {RecoveryConnector.Ident(name)} " +
            $"CONNECTION {RecoveryConnector.Literal(connector.Conninfo(plan.Main, database.Name))} " +
            $"PUBLICATION {RecoveryConnector.Ident(RecoveryNames.Publication(plan.Node.NodeId))} " +
            $"WITH (copy_data = true, slot_name = {RecoveryConnector.Literal(database.Slot)})", limit.Token);
        await WatchSlotCreationAsync(create, database, limit, ct);
        database.SubscriptionOid = await RecoveryConnector.ScalarAsync<uint>(connection,
            "SELECT oid FROM pg_catalog.pg_subscription WHERE subname = $1 AND subdbid = " +
            "(SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database())", ct, name);
    }

    /// <summary>
    /// Waits for the subscription's CREATE, saying what it waits for when that takes long: main creates the slot only
    /// once every transaction with a transaction id that was running there has ended (PostgreSQL's rule for a
    /// consistent starting point), so one long transaction, or a session left idle in one, holds the recovery here.
    /// After <see cref="MainWaits.Limit"/> the CREATE is cancelled and the recovery fails, naming that transaction.
    /// </summary>
    private async Task WatchSlotCreationAsync(Task create, RecoveryDatabase database, CancellationTokenSource limit,
        CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        NpgsqlConnection? main = null;
        try
        {
            while (await Task.WhenAny(create, Task.Delay(TimeSpan.FromSeconds(1), ct)) != create)
            {
                main ??= await connector.OpenAsync(plan.Main, "postgres", ct);
                var oldest = await MainWaits.OldestTransactionAsync(main, ct);
                if (Stopwatch.GetElapsedTime(started) > MainWaits.Limit)
                {
                    await limit.CancelAsync();
                    await create.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing); // cancelled: ours to say why
                    throw new RecoveryFailure($"main (backend node {plan.Main.NodeId}) did not create the " +
                                              $"replication slot of database \"{database.Name}\" in " +
                                              $"{MainWaits.Limit.TotalMinutes:0} min: it waits for transactions " +
                                              $"running there to end, the oldest {oldest}");
                }

                progress.SetDetail($"database {database.Name}: the replication slot waits for transactions on main " +
                                   $"to end, the oldest {oldest}");
            }

            await create;
        }
        finally
        {
            if (main is not null)
            {
                await main.DisposeAsync();
            }
        }
    }

    /// <summary>Waits until every table of every database is copied and in the apply stream (state 'r').</summary>
    public async Task WaitForCopyAsync(CancellationToken ct)
    {
        var connections = new List<NpgsqlConnection>();
        try
        {
            foreach (var database in plan.Databases)
            {
                connections.Add(await connector.OpenAsync(plan.Node, database.Name, ct));
            }

            await using var main = await connector.OpenAsync(plan.Main, "postgres", ct);
            for (var round = 0;; round++)
            {
                if (round % 10 == 9)
                {
                    await CheckPublicationsAsync(ct);
                }

                int ready = 0, total = 0;
                long bytes = 0;
                for (var i = 0; i < plan.Databases.Count; i++)
                {
                    var database = plan.Databases[i];
                    await ThrowOnWorkerErrorsAsync(connections[i], database, ct);
                    var row = (await RecoveryConnector.RowsAsync(connections[i],
                        "SELECT count(*) FILTER (WHERE r.srsubstate = 'r'), count(*), " +
                        "coalesce(sum(pg_catalog.pg_table_size(r.srrelid)), 0) " +
                        "FROM pg_catalog.pg_subscription_rel r WHERE r.srsubid = $1", ct,
                        database.SubscriptionOid!.Value))[0];
                    ready += int.Parse(row[0]!, CultureInfo.InvariantCulture);
                    total += int.Parse(row[1]!, CultureInfo.InvariantCulture);
                    bytes += long.Parse(row[2]!, CultureInfo.InvariantCulture);
                }

                progress.SetCopy(ready, total, bytes);
                progress.SetLag(await LagAsync(main, ct));
                if (ready == total)
                {
                    // A copy that finished before the periodic look still needs its publication: without it main's
                    // later changes would not reach the node.
                    await CheckPublicationsAsync(ct);
                    return;
                }

                await Task.Delay(Poll, ct);
            }
        }
        finally
        {
            foreach (var connection in connections)
            {
                await connection.DisposeAsync();
            }
        }
    }

    /// <summary>
    /// Bytes of main's WAL that some subscription has not confirmed yet, checking on the way that every slot and
    /// publication of the recovery still exists on main (somebody may have dropped them).
    /// </summary>
    public async Task<long> LagAsync(NpgsqlConnection main, CancellationToken ct)
    {
        var slots = plan.Databases.Select(d => d.Slot).ToArray();
        var rows = await RecoveryConnector.RowsAsync(main,
            "SELECT slot_name, coalesce(pg_catalog.pg_wal_lsn_diff(pg_catalog.pg_current_wal_lsn(), " +
            "confirmed_flush_lsn), 0)::bigint FROM pg_catalog.pg_replication_slots WHERE slot_name = ANY($1)", ct,
            (object)slots); // one parameter, not one per slot
        foreach (var database in plan.Databases.Where(d => rows.All(r => r[0] != d.Slot)))
        {
            throw new RecoveryFailure($"the replication slot {database.Slot} of database \"{database.Name}\" is gone " +
                                      $"from main (backend node {plan.Main.NodeId})");
        }

        return rows.Max(r => long.Parse(r[1]!, CultureInfo.InvariantCulture));
    }

    /// <summary>Main's publication in every database, still there (somebody may have dropped it).</summary>
    public async Task CheckPublicationsAsync(CancellationToken ct)
    {
        foreach (var database in plan.Databases)
        {
            await using var connection = await connector.OpenAsync(plan.Main, database.Name, ct);
            if (!await RecoveryConnector.ScalarAsync<bool>(connection,
                    "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_publication WHERE pubname = $1)", ct,
                    RecoveryNames.Publication(plan.Node.NodeId)))
            {
                throw new RecoveryFailure($"the publication {RecoveryNames.Publication(plan.Node.NodeId)} of database " +
                                          $"\"{database.Name}\" is gone from main (backend node {plan.Main.NodeId})");
            }
        }
    }

    /// <summary>
    /// Table copy errors a subscription may have before the recovery fails. PostgreSQL restarts a table's copy that
    /// failed, and some causes pass by themselves: with many tables, a copy can find every replication origin slot
    /// of the node briefly taken by the copies before it ("could not find free replication state slot"). One that
    /// keeps failing (a table unlike main's) reaches this bound within a minute or so.
    /// </summary>
    private const long MaxTableCopyErrors = 10;

    /// <summary>
    /// A subscription worker that failed (its error is in the node's server log only) makes the recovery fail: it
    /// would retry forever on a node that is not as main is. An apply error fails it at once, table copy errors past
    /// <see cref="MaxTableCopyErrors"/>. Main's publications are looked at first, for the likelier cause to be named.
    /// </summary>
    public async Task ThrowOnWorkerErrorsAsync(NpgsqlConnection node, RecoveryDatabase database, CancellationToken ct)
    {
        var rows = await RecoveryConnector.RowsAsync(node,
            "SELECT apply_error_count, sync_error_count FROM pg_catalog.pg_stat_subscription_stats WHERE subid = $1",
            ct, database.SubscriptionOid!.Value);
        if (rows.Count == 1 && (rows[0][0] != "0"
                                || long.Parse(rows[0][1]!, CultureInfo.InvariantCulture) > MaxTableCopyErrors))
        {
            await CheckPublicationsAsync(ct);
            throw new RecoveryFailure($"the subscription {RecoveryNames.Subscription(plan.Node.NodeId)} on backend " +
                                      $"node {plan.Node.NodeId}, database \"{database.Name}\", failed " +
                                      $"({rows[0][1]} table copy error(s), {rows[0][0]} apply error(s)); the node's " +
                                      "server log says why");
        }
    }
}

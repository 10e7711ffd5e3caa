using Npgsql;
using Pgproxy.Core.Backends;
using Pgproxy.Core.Catalog;
using Pgproxy.Core.Config;

namespace Pgproxy.Core.Recovery;

/// <summary>
/// The checks before anything is changed (issue 15 item 2), each failing with a sentence that names the node and
/// the setting: the node is configured, down and answers; main has wal_level = logical, slots and WAL senders to
/// spare, and no large objects (logical replication does not carry them); the node is empty unless WIPE.
/// </summary>
internal static class RecoveryChecks
{
    private const string UserRelations =
        """
        SELECT count(*) FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_toast%'
          AND n.nspname NOT LIKE 'pg\_temp%'
        """;

    public static BackendNode FindDownNode(IRecoveryServices services, int nodeId)
    {
        var node = services.Nodes.Find(nodeId)
                   ?? throw new RecoveryFailure($"backend node {nodeId} is not configured (no backend_hostname{nodeId})");
        if (node.Status != BackendStatus.Down)
        {
            throw new RecoveryFailure($"backend node {nodeId} is {node.Status.ToString().ToLowerInvariant()}, not " +
                                      "down: only a down node is recovered (PGPROXY DETACH NODE first)");
        }

        return services.Nodes.MainNode
               ?? throw new RecoveryFailure($"backend node {nodeId} cannot be recovered: no node is up to copy from");
    }

    public static async Task<RecoveryPlan> RunAsync(IRecoveryServices services, RecoveryRequest request,
        RecoveryConnector connector, CancellationToken ct)
    {
        var main = FindDownNode(services, request.NodeId);
        var node = services.Nodes.Find(request.NodeId)!;
        await using var nodeConnection = await OpenAsync(connector, node, "node", ct);
        await using var mainConnection = await OpenAsync(connector, main, "main", ct);
        await RequireSuperuserAsync(nodeConnection, node, connector, ct);
        await RequireSuperuserAsync(mainConnection, main, connector, ct);
        await RequireLogicalWalAsync(mainConnection, main, node, ct);
        var databases = await DatabasesToCopyAsync(mainConnection, main, node, services.Options, ct);
        await RequireReplicationCapacityAsync(mainConnection, nodeConnection, main, node, databases.Count, ct);
        await RequireNoLargeObjectsAsync(connector, main, node, databases, ct);

        var toDrop = await NodeContentAsync(connector, node, nodeConnection, services.Options, ct);
        if (toDrop.Count > 0 && !request.Wipe)
        {
            throw new RecoveryFailure($"backend node {node.NodeId} is not empty ({string.Join(", ", toDrop)}): " +
                                      "recover it with WIPE to drop its databases first");
        }

        return new RecoveryPlan(node, main, databases, toDrop);
    }

    private static async Task RequireLogicalWalAsync(NpgsqlConnection mainConnection, BackendNode main,
        BackendNode node, CancellationToken ct)
    {
        var walLevel = await RecoveryConnector.ScalarAsync<string>(mainConnection,
            "SELECT current_setting('wal_level')", ct);
        if (walLevel != "logical")
        {
            throw new RecoveryFailure($"main (backend node {main.NodeId}) has wal_level = {walLevel}: recovering " +
                                      $"node {node.NodeId} needs wal_level = logical on main (postgresql.conf, restart)");
        }
    }

    /// <summary>Main's databases a client can connect to, but the templates and the system DB.</summary>
    private static async Task<List<RecoveryDatabase>> DatabasesToCopyAsync(NpgsqlConnection mainConnection,
        BackendNode main, BackendNode node, ProxyOptions options, CancellationToken ct)
    {
        var databases = new List<RecoveryDatabase>();
        foreach (var row in await RecoveryConnector.RowsAsync(mainConnection,
                     "SELECT oid, datname FROM pg_catalog.pg_database WHERE datallowconn AND NOT datistemplate " +
                     "ORDER BY datname", ct))
        {
            if (!IsSystemDb(main, row[1]!, options))
            {
                databases.Add(new RecoveryDatabase(row[1]!, uint.Parse(row[0]!, System.Globalization.CultureInfo.InvariantCulture),
                    node.NodeId));
            }
        }

        return databases;
    }

    /// <summary>
    /// Main's free replication slots and WAL senders, and the node's logical replication workers and origins, are
    /// enough for one subscription per database.
    /// </summary>
    private static async Task RequireReplicationCapacityAsync(NpgsqlConnection mainConnection,
        NpgsqlConnection nodeConnection, BackendNode main, BackendNode node, int databaseCount, CancellationToken ct)
    {
        var syncWorkers = await RecoveryConnector.ScalarAsync<int>(nodeConnection,
            "SELECT current_setting('max_sync_workers_per_subscription')::int", ct);
        var needed = databaseCount + syncWorkers;
        var freeSlots = await RecoveryConnector.ScalarAsync<int>(mainConnection,
            "SELECT current_setting('max_replication_slots')::int - (SELECT count(*) FROM pg_catalog.pg_replication_slots)::int",
            ct);
        if (freeSlots < needed)
        {
            throw new RecoveryFailure($"main (backend node {main.NodeId}) has {freeSlots} free replication slot(s), " +
                                      $"recovering node {node.NodeId} needs {needed} ({databaseCount} database(s) + " +
                                      $"{syncWorkers} table sync): raise max_replication_slots on main (restart)");
        }

        var freeSenders = await RecoveryConnector.ScalarAsync<int>(mainConnection,
            "SELECT current_setting('max_wal_senders')::int - (SELECT count(*) FROM pg_catalog.pg_stat_replication)::int",
            ct);
        if (freeSenders < needed)
        {
            throw new RecoveryFailure($"main (backend node {main.NodeId}) has {freeSenders} free WAL sender(s), " +
                                      $"recovering node {node.NodeId} needs {needed}: raise max_wal_senders on main " +
                                      "(restart)");
        }

        var workers = await RecoveryConnector.ScalarAsync<int>(nodeConnection,
            "SELECT least(current_setting('max_logical_replication_workers')::int, " +
            "current_setting('max_replication_slots')::int)", ct);
        if (workers < databaseCount + 1)
        {
            throw new RecoveryFailure($"backend node {node.NodeId} allows {workers} logical replication worker(s) or " +
                                      $"replication origin(s), the recovery needs {databaseCount + 1}: raise " +
                                      "max_logical_replication_workers and max_replication_slots on the node (restart)");
        }
    }

    private static async Task RequireNoLargeObjectsAsync(RecoveryConnector connector, BackendNode main,
        BackendNode node, List<RecoveryDatabase> databases, CancellationToken ct)
    {
        foreach (var database in databases)
        {
            await using var connection = await connector.OpenAsync(main, database.Name, ct);
            var largeObjects = await RecoveryConnector.ScalarAsync<long>(connection,
                "SELECT count(*) FROM pg_catalog.pg_largeobject_metadata", ct);
            if (largeObjects > 0)
            {
                throw new RecoveryFailure($"database \"{database.Name}\" on main (backend node {main.NodeId}) holds " +
                                          $"{largeObjects} large object(s), which logical replication does not copy: " +
                                          $"node {node.NodeId} cannot be recovered online");
            }
        }
    }

    /// <summary>
    /// The node's databases that are in the way: every one but the templates, the system DB and an empty
    /// <c>postgres</c> (one with user relations counts).
    /// </summary>
    private static async Task<List<string>> NodeContentAsync(RecoveryConnector connector, BackendNode node,
        NpgsqlConnection connection, ProxyOptions options, CancellationToken ct)
    {
        var found = new List<string>();
        foreach (var row in await RecoveryConnector.RowsAsync(connection,
                     "SELECT datname FROM pg_catalog.pg_database WHERE NOT datistemplate ORDER BY datname", ct))
        {
            var name = row[0]!;
            if (IsSystemDb(node, name, options))
            {
                continue;
            }

            if (name == "postgres")
            {
                var relations = await RecoveryConnector.ScalarAsync<long>(connection, UserRelations, ct);
                if (relations == 0)
                {
                    continue;
                }
            }

            found.Add(name);
        }

        return found;
    }

    private static async Task<NpgsqlConnection> OpenAsync(RecoveryConnector connector, BackendNode node, string role,
        CancellationToken ct)
    {
        try
        {
            return await connector.OpenAsync(node, "postgres", ct);
        }
        catch (Exception e) when (e is NpgsqlException or IOException or TimeoutException)
        {
            throw new RecoveryFailure($"{(role == "main" ? "main " : "")}backend node {node.NodeId} ({node.Endpoint}) " +
                                      $"does not answer as user \"{connector.User}\", database postgres: {e.Message}", e);
        }
    }

    private static async Task RequireSuperuserAsync(NpgsqlConnection connection, BackendNode node,
        RecoveryConnector connector, CancellationToken ct)
    {
        if (!await RecoveryConnector.ScalarAsync<bool>(connection,
                "SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user", ct))
        {
            throw new RecoveryFailure($"user \"{connector.User}\" (health_check_user) is not a superuser on backend " +
                                      $"node {node.NodeId}: a recovery creates publications, subscriptions and roles");
        }
    }

    /// <summary>
    /// pgproxy's own system DB, where it lives on <paramref name="node"/>: never copied nor dropped (it exists on
    /// that node alone by design). system_db_hostname '' means node 0's host, as <c>SystemDbSettings</c> reads it.
    /// </summary>
    public static bool IsSystemDb(BackendNode node, string database, ProxyOptions options) =>
        SystemDbSettings.IsSystemDb(node.Config, database, options);
}

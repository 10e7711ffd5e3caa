using System.Globalization;
using Microsoft.Extensions.Logging;
using Pgproxy.Core.Backends;
using Pgproxy.Core.Catalog;
using Pgproxy.Core.Config;
using Pgproxy.Core.Health;

namespace Pgproxy.Core.Replication;

/// <summary>
/// Ends the transactions pgproxy prepared on the other nodes and did not get to finish (pgproxy or main died
/// between PREPARE and COMMIT PREPARED), as main decided (DESIGN §3.9): the gid names the node that was main and
/// main's transaction id; <c>pg_xact_status</c> there says committed (COMMIT PREPARED) or aborted (ROLLBACK
/// PREPARED). When that node is down, the next main decided nothing: the transaction is rolled back — that node
/// stays down until it is recovered. Runs at start, before the first client, and every
/// <see cref="Period"/>; it connects as the health check does (health_check_user, else system_db_user, who must be
/// allowed to end other users' prepared transactions: a superuser). At start it also checks that every node allows prepared
/// transactions.
/// </summary>
internal sealed partial class PreparedTransactionResolver : IAsyncDisposable
{
    /// <summary>How often the nodes are looked at after start.</summary>
    public static readonly TimeSpan Period = TimeSpan.FromSeconds(10);

    /// <summary>
    /// After start, prepared transactions younger than this are left alone: a session may be about to end them.
    /// </summary>
    private static readonly TimeSpan MinimumAge = TimeSpan.FromSeconds(10);

    private const string ApplicationName = "pgproxy prepared transaction resolver";

    private readonly IReplicationServices _runtime;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private Task? _loop;

    public PreparedTransactionResolver(IReplicationServices runtime, ILogger logger)
    {
        _runtime = runtime;
        _logger = logger;
    }

    /// <summary>
    /// Decides replication_commit's mode from the nodes, resolves what an earlier run left, and starts the loop.
    /// Throws <see cref="ProxyConfigurationException"/> when two_phase is set and a node does not allow it.
    /// </summary>
    public async Task StartAsync()
    {
        var setting = _runtime.Options.ReplicationCommit;
        if (setting == "one_phase" || _runtime.Nodes.Nodes.Count < 2)
        {
            _runtime.TwoPhase.Set(false, "one_phase");
        }
        else
        {
            await CheckNodesAsync(explicitly: setting == "two_phase");
        }

        await ResolveAsync(TimeSpan.Zero, _stopping.Token);
        _loop = Task.Run(() => RunLoopAsync(_stopping.Token));
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        if (_loop is not null)
        {
            await _loop;
        }

        _stopping.Dispose();
    }

    private async Task RunLoopAsync(CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(Period, _runtime.Time, stopping);
                await ResolveAsync(MinimumAge, stopping);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                Log.ScanFailed(_logger, -1, e.Message);
            }
        }
    }

    private async Task CheckNodesAsync(bool explicitly)
    {
        foreach (var node in UpNodes())
        {
            string? value;
            try
            {
                await using var connection = await OpenAsync(node, database: null, _stopping.Token);
                var rows = await BackendQuery.RunAsync(connection, "SHOW max_prepared_transactions", _stopping.Token);
                value = rows.Count > 0 ? rows[0][0] : null;
                await connection.TerminateAsync();
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                continue; // a node that does not answer now is the health check's business
            }

            if (int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var limit) && limit > 0)
            {
                _runtime.TwoPhase.Slots.SetLimit(node.NodeId, limit);
                if (limit < _runtime.Options.NumInitChildren)
                {
                    Log.FewPreparedTransactions(_logger, node.NodeId, node.Endpoint.ToString(), limit,
                        _runtime.Options.NumInitChildren);
                }

                continue;
            }

            if (value != "0")
            {
                continue;
            }

            var reason = $"backend node {node.NodeId} ({node.Endpoint}) has max_prepared_transactions = 0";
            if (explicitly)
            {
                throw new ProxyConfigurationException(
                [
                    $"replication_commit = two_phase needs prepared transactions on every node: {reason}; set " +
                    "max_prepared_transactions (e.g. to max_connections) on that node and restart it, or set " +
                    "replication_commit = one_phase",
                ]);
            }

            _runtime.TwoPhase.Set(false, $"one_phase ({reason})");
            Log.TwoPhaseUnavailable(_logger, reason);
            return;
        }

        _runtime.TwoPhase.Set(true, "two_phase");
    }

    /// <summary>One look at every node: each of pgproxy's prepared transactions older than
    /// <paramref name="minimumAge"/> is ended as its main decided.</summary>
    internal async Task ResolveAsync(TimeSpan minimumAge, CancellationToken stopping)
    {
        foreach (var node in UpNodes())
        {
            List<string?[]> prepared;
            try
            {
                await using var connection = await OpenAsync(node, database: null, stopping);
                prepared = await BackendQuery.RunAsync(connection,
                    "SELECT gid, database, extract(epoch FROM now() - prepared)::float8 FROM " +
                    "pg_catalog.pg_prepared_xacts WHERE gid LIKE 'pgproxy\\_%'", stopping);
                await connection.TerminateAsync();
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                Log.ScanFailed(_logger, node.NodeId, e.Message);
                continue;
            }

            foreach (var row in prepared)
            {
                if (row[0] is { } gid && row[1] is { } database
                    && PreparedTransactionId.TryParse(gid, out var id) && id.MainNodeId != node.NodeId
                    && double.Parse(row[2] ?? "0", CultureInfo.InvariantCulture) >= minimumAge.TotalSeconds)
                {
                    await ResolveOneAsync(node, database, gid, id, stopping);
                }
            }
        }
    }

    private async Task ResolveOneAsync(BackendNode node, string database, string gid, PreparedTransactionId id,
        CancellationToken stopping)
    {
        try
        {
            var decision = await DecideAsync(id, database, stopping);
            if (decision is null)
            {
                return;
            }

            await using var connection = await OpenAsync(node, database, stopping);
            await BackendQuery.RunAsync(connection,
                (decision.Value.Commit ? "COMMIT PREPARED '" : "ROLLBACK PREPARED '") + gid + "'", stopping);
            await connection.TerminateAsync();
            _runtime.TwoPhase.CountResolved(decision.Value.Commit);
            Log.Resolved(_logger, gid, node.NodeId, decision.Value.Commit ? "committed" : "rolled back",
                decision.Value.Why);
            await RecordAsync(gid, node.NodeId, database, decision.Value.Commit, decision.Value.Why, stopping);
        }
        catch (BackendQueryException e) when (e.SqlState == "42704")
        {
            // Ended meanwhile by the session that prepared it (or another pgproxy).
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Log.ScanFailed(_logger, node.NodeId, $"{gid}: {e.Message}");
        }
    }

    /// <summary>Commit or roll back, and why; null while main has not decided (the transaction still runs).</summary>
    private async Task<(bool Commit, string Why)?> DecideAsync(PreparedTransactionId id, string database,
        CancellationToken stopping)
    {
        var origin = _runtime.Nodes.Find(id.MainNodeId);
        if (origin is null || origin.Status == BackendStatus.Down)
        {
            return (false, $"node {id.MainNodeId}, main when it was prepared, is down: the next main never committed it");
        }

        await using var connection = await OpenAsync(origin, database, stopping);
        var rows = await BackendQuery.RunAsync(connection,
            $"SELECT pg_catalog.pg_xact_status('{id.Xid}'::pg_catalog.xid8)", stopping);
        await connection.TerminateAsync();
        var status = rows.Count > 0 ? rows[0][0] : null;
        switch (status)
        {
            case "committed":
                return (true, $"node {id.MainNodeId} committed transaction {id.Xid}");
            case "aborted":
                return (false, $"node {id.MainNodeId} aborted transaction {id.Xid}");
            default:
                Log.Undecided(_logger, id.ToString(), id.MainNodeId, status ?? "unknown (too old)");
                return null;
        }
    }

    /// <summary>The resolution in the system DB, when there is one; a failure there is logged, nothing more.</summary>
    private async Task RecordAsync(string gid, int nodeId, string database, bool committed, string why,
        CancellationToken stopping)
    {
        try
        {
            var settings = SystemDbSettings.From(_runtime.Options, _runtime.PoolPasswd, []);
            await ResolutionRecord.WriteAsync(settings, gid, nodeId, database, committed, why, stopping);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Log.ScanFailed(_logger, nodeId, $"{gid}: resolved, but not recorded in the system DB: {e.Message}");
        }
    }

    private IEnumerable<BackendNode> UpNodes() =>
        _runtime.Nodes.Nodes.Where(n => n.Status != BackendStatus.Down);

    /// <summary>A connection of the resolver's own, as the health check's user, to a database of the node.</summary>
    private Task<BackendConnection> OpenAsync(BackendNode node, string? database, CancellationToken stopping) =>
        new ServiceConnector(_runtime).OpenAsync(node, database, ApplicationName, stopping);

    private static partial class Log
    {
        [LoggerMessage(Logging.EventIds.TwoPhaseUnavailable, LogLevel.Warning,
            "committing in one phase: {Reason} (two-phase commit needs prepared transactions on every node)")]
        public static partial void TwoPhaseUnavailable(ILogger logger, string reason);

        [LoggerMessage(Logging.EventIds.FewPreparedTransactions, LogLevel.Warning,
            "backend node {NodeId} ({Endpoint}) has max_prepared_transactions = {Limit}, fewer than num_init_children " +
            "= {Children}: commits beyond {Limit} at once wait there for a slot; set it to at least num_init_children " +
            "(e.g. to max_connections)")]
        public static partial void FewPreparedTransactions(ILogger logger, int nodeId, string endpoint, int limit,
            int children);

        [LoggerMessage(Logging.EventIds.PreparedTransactionResolved, LogLevel.Warning,
            "prepared transaction {Gid} on backend node {NodeId} {Outcome}: {Why}")]
        public static partial void Resolved(ILogger logger, string gid, int nodeId, string outcome, string why);

        [LoggerMessage(Logging.EventIds.PreparedTransactionUndecided, LogLevel.Information,
            "prepared transaction {Gid}: node {MainNodeId} says {Status}; left for now")]
        public static partial void Undecided(ILogger logger, string gid, int mainNodeId, string status);

        [LoggerMessage(Logging.EventIds.PreparedTransactionScanFailed, LogLevel.Warning,
            "resolving prepared transactions on backend node {NodeId} failed: {Reason}")]
        public static partial void ScanFailed(ILogger logger, int nodeId, string reason);
    }
}

using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Pgproxy.Core.Backends;
using Pgproxy.Core.Health;

namespace Pgproxy.Core.Replication;

/// <summary>
/// Brings every live node's OID counter to the same value before a schema change runs (called by
/// <see cref="CatalogWriteOrder"/> inside its turn), so the objects it creates get the same OIDs everywhere. Running
/// DDL in one order is not enough: each node draws OIDs for things of its own too — the first temporary object of a
/// backend creates that backend slot's <c>pg_temp_N</c> and <c>pg_toast_temp_N</c> unless an earlier backend in the
/// same slot did, and slots differ per node; TOASTed values, TRUNCATE, a restart, a recovery move counters too. One
/// such draw on one node shifted every type created after it: Npgsql's suite through two nodes failed 53 tests with
/// "cache lookup failed for type" in a run where two temporary schemas were created on node 0 only.
/// </summary>
/// <remarks>
/// A node's counter is read by drawing from it: <c>lo_create(0)</c> takes the next OID (it skips only OIDs of
/// existing large objects, which every node holds alike) and <c>lo_unlink</c> drops the object again. Nodes behind
/// the highest draw as many more; after that every node's next OID is the same. The counter is the whole cluster's,
/// so pgproxy's own connection (health_check_user, its database) serves for every database. Not aligned, and logged:
/// a node that does not answer within <see cref="Timeout"/>, or that is more than <see cref="MaxDraws"/> behind.
/// </remarks>
internal sealed partial class OidCounters(IReplicationServices runtime, ILogger logger) : IAsyncDisposable
{
    private const string ApplicationName = "pgproxy oid counters";

    /// <summary>How far behind a node may be and still be brought along (a large gap: a node restored elsewhere).</summary>
    private const long MaxDraws = 100_000;

    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(2);

    internal const string Probe =
        "WITH drawn AS MATERIALIZED (SELECT pg_catalog.lo_create(0) AS oid) " +
        "SELECT oid::text, pg_catalog.lo_unlink(oid) FROM drawn";

    /// <summary>
    /// Each node's connection, kept between schema changes. One alignment at a time (the turn's holder), but its
    /// nodes are asked in parallel, so connections opened at once are added at once.
    /// </summary>
    private readonly ConcurrentDictionary<int, BackendConnection> _connections = new();

    /// <summary>A failure was logged as a warning; the same kept failing is logged at debug level until a success.</summary>
    private bool _warned;

    /// <summary>
    /// Aligns the live nodes' counters: true when two or more nodes now draw the same next OID. Never throws (a
    /// failure leaves OIDs as they would have been, and says false).
    /// </summary>
    public async Task<bool> AlignAsync()
    {
        var nodes = runtime.Nodes.Nodes.Where(n => n.Status != BackendStatus.Down).ToList();
        if (nodes.Count < 2)
        {
            return false;
        }

        using var timeout = new CancellationTokenSource(Timeout);
        try
        {
            var drawn = await Task.WhenAll(nodes.Select(n => DrawAsync(n, timeout.Token)));
            var highest = drawn.Max();
            var behind = nodes.Select((n, i) => (Node: n, Count: (long)highest - drawn[i])).Where(b => b.Count > 0).ToList();
            if (behind.Count == 0)
            {
                _warned = false;
                return true;
            }

            if (behind.Find(b => b.Count > MaxDraws) is { Node: not null } far)
            {
                NotAligned($"node {far.Node.NodeId} is {far.Count} OIDs behind (more than {MaxDraws})");
                return false;
            }

            await Task.WhenAll(behind.Select(b => DrawManyAsync(b.Node, b.Count, timeout.Token)));
            _warned = false;
            Log.Aligned(logger, highest + 1,
                string.Join(", ", behind.Select(b => $"node {b.Node.NodeId} +{b.Count}")));
            return true;
        }
        catch (Exception e)
        {
            await DropConnectionsAsync();
            NotAligned(e.Message);
            return false;
        }
    }

    private void NotAligned(string reason)
    {
        if (_warned)
        {
            Log.StillNotAligned(logger, reason);
            return;
        }

        _warned = true;
        Log.NotAligned(logger, reason);
    }

    public ValueTask DisposeAsync() => new(DropConnectionsAsync());

    /// <summary>The OID the node's counter gave.</summary>
    private async Task<uint> DrawAsync(BackendNode node, CancellationToken cancellationToken)
    {
        var rows = await BackendQuery.RunAsync(await ConnectionAsync(node, cancellationToken), Probe, cancellationToken);
        return uint.Parse(rows[0][0]!, CultureInfo.InvariantCulture);
    }

    private async Task DrawManyAsync(BackendNode node, long count, CancellationToken cancellationToken) =>
        await BackendQuery.RunAsync(await ConnectionAsync(node, cancellationToken),
            "SELECT pg_catalog.count(pg_catalog.lo_unlink(pg_catalog.lo_create(0))) FROM pg_catalog.generate_series(1, " +
            count.ToString(CultureInfo.InvariantCulture) + ")", cancellationToken);

    private async Task<BackendConnection> ConnectionAsync(BackendNode node, CancellationToken cancellationToken)
    {
        if (!_connections.TryGetValue(node.NodeId, out var connection))
        {
            connection = await new ServiceConnector(runtime).OpenAsync(node, database: null, ApplicationName,
                cancellationToken);
            _connections[node.NodeId] = connection;
        }

        return connection;
    }

    /// <summary>
    /// At stop, and after a failure (a connection may be mid-answer): every one is closed, to be opened again next
    /// time.
    /// </summary>
    private async Task DropConnectionsAsync()
    {
        foreach (var connection in _connections.Values)
        {
            await connection.TerminateAsync();
        }

        _connections.Clear();
    }

    private static partial class Log
    {
        [LoggerMessage(Logging.EventIds.OidCountersAligned, LogLevel.Debug,
            "OID counters aligned before a schema change (next OID {Next}): {Draws}")]
        public static partial void Aligned(ILogger logger, uint next, string draws);

        [LoggerMessage(Logging.EventIds.OidCountersNotAligned, LogLevel.Warning,
            "OID counters not aligned before a schema change, so its objects may get other OIDs on some node: {Reason}")]
        public static partial void NotAligned(ILogger logger, string reason);

        [LoggerMessage(Logging.EventIds.OidCountersNotAligned, LogLevel.Debug,
            "OID counters still not aligned before a schema change: {Reason}")]
        public static partial void StillNotAligned(ILogger logger, string reason);
    }
}

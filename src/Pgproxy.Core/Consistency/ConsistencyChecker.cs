using Microsoft.Extensions.Logging;
using Pgproxy.Core.Backends;
using Pgproxy.Core.Catalog;
using Pgproxy.Core.Health;

namespace Pgproxy.Core.Consistency;

/// <summary>
/// Runs consistency checks (DESIGN §5) off the client path: on demand (PGPROXY CHECK, pgproxy check), every
/// consistency_check_period seconds, and before an ATTACH of a node that was down. One check at a time; each
/// database is compared at a common cut of its own (a transaction never spans databases), at the configured rate.
/// The outcome goes to the log, the metrics, SHOW POOL_CHECK and the system DB; with consistency_check_failover a
/// node found different from main is taken out.
/// </summary>
internal sealed partial class ConsistencyChecker : IAsyncDisposable
{
    private const string ApplicationName = "pgproxy consistency check";

    private readonly IConsistencyServices _services;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _lock = new();
    private long _lastId;
    private Task? _periodic;
    private Task? _background;
    private int _disposed;

    public ConsistencyChecker(IConsistencyServices services, ILogger logger)
    {
        _services = services;
        _logger = logger;
        _lastId = services.Time.GetUtcNow().ToUnixTimeMilliseconds(); // ids stay unique across restarts
    }

    /// <summary>The running check, else the last one; null before the first.</summary>
    public CheckRun? Latest { get; private set; }

    /// <summary>Checks that ended Identical / Differs / Failed since start (metrics).</summary>
    public long[] Outcomes { get; } = new long[4];

    /// <summary>Starts the periodic checks (consistency_check_period, read again before each wait).</summary>
    public void StartPeriodic() => _periodic = Task.Run(() => RunPeriodicAsync(_stopping.Token));

    /// <summary>
    /// Starts a check in the background and returns it at once, or returns null when one is running (whose id is
    /// then in <paramref name="running"/>).
    /// </summary>
    public CheckRun? TryStart(CheckRequest request, out CheckRun? running)
    {
        var run = TryBegin(request, out running);
        if (run is not null)
        {
            _background = Task.Run(() => CompleteAsync(run, _stopping.Token));
        }

        return run;
    }

    /// <summary>Runs a check to its end (ATTACH's, tests'); null when another one is running.</summary>
    public async Task<CheckRun?> RunAsync(CheckRequest request, CancellationToken cancellationToken)
    {
        var run = TryBegin(request, out _);
        if (run is null)
        {
            return null;
        }

        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stopping.Token);
        await CompleteAsync(run, linked.Token);
        return run;
    }

    private CheckRun? TryBegin(CheckRequest request, out CheckRun? running)
    {
        lock (_lock)
        {
            if (Latest is { State: CheckState.Running } current)
            {
                running = current;
                return null;
            }

            running = null;
            var run = new CheckRun(Interlocked.Increment(ref _lastId), request, _services.Time.GetUtcNow(),
                _services.Time);
            Latest = run;
            return run;
        }
    }

    private async Task CompleteAsync(CheckRun run, CancellationToken cancellationToken)
    {
        Log.Started(_logger, run.Id, run.Request.RequestedBy);
        string? error;
        try
        {
            error = await CompareAsync(run, cancellationToken);
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or BackendQueryException
                                      or BackendStartupException or OperationCanceledException
                                      or ObjectDisposedException or System.Net.Sockets.SocketException)
        {
            error = e is OperationCanceledException ? "pgproxy is stopping" : e.Message;
        }

        run.Finish(_services.Time.GetUtcNow(), error);
        Interlocked.Increment(ref Outcomes[(int)run.State]);
        switch (run.State)
        {
            case CheckState.Failed:
                Log.Failed(_logger, run.Id, error!);
                break;
            case CheckState.Identical:
                Log.Identical(_logger, run.Summary());
                break;
            default:
                foreach (var finding in run.Findings)
                {
                    Log.Difference(_logger, run.Id, finding.Database, finding.Relation, finding.NodeId,
                        CheckVerdicts.Of(finding), finding.Detail);
                }

                DegenerateIfAsked(run);
                break;
        }

        if (run.State != CheckState.Failed)
        {
            await RecordAsync(run);
        }
    }

    /// <summary>Compares every database; returns why it could not, or null.</summary>
    private async Task<string?> CompareAsync(CheckRun run, CancellationToken cancellationToken)
    {
        var nodes = NodesToCompare(run.Request, out var why);
        if (nodes is null)
        {
            return why;
        }

        run.NodeIds = [.. nodes.Select(n => n.NodeId)];
        var connector = new ServiceConnector(_services);
        var databases = await DatabaseListing.ReadAsync(connector, nodes, ApplicationName, _services.Options,
            cancellationToken);
        foreach (var missing in databases.Findings.Where(f => run.Request.Databases.Count == 0
                                                              || run.Request.Databases.Contains(f.Database)))
        {
            run.Add(missing);
        }

        var names = run.Request.Databases.Count == 0
            ? databases.OnMain
            : [.. run.Request.Databases.Where(databases.OnMain.Contains)];
        if (run.Request.Databases.FirstOrDefault(d => !databases.OnMain.Contains(d)) is { } unknown)
        {
            return $"database \"{unknown}\" does not exist on main (node {nodes[0].NodeId})";
        }

        var options = _services.Options;
        var settings = new CheckSettings(options.ConsistencyCheckRowsPerSecond);
        var timeout = TimeSpan.FromMilliseconds(options.WriteGateTimeout);
        foreach (var database in names)
        {
            var present = nodes.Where(n => databases.Has(n.NodeId, database)).ToList();
            var snapshots = new List<BackendSnapshot>();
            try
            {
                foreach (var connection in await Task.WhenAll(present.Select(n =>
                             connector.OpenAsync(n, database, ApplicationName, cancellationToken))))
                {
                    snapshots.Add(new BackendSnapshot(connection));
                }

                var cut = await CommonCut.TakeAsync(_services.WriteGate, snapshots, timeout, cancellationToken);
                run.AddCut(cut);
                if (!cut.Taken)
                {
                    return $"no common cut in database \"{database}\": {cut.Failure}";
                }

                var comparer = new DatabaseComparer(settings, run.Progress, _services.Time);
                run.Add(await comparer.CompareAsync(database, snapshots, run.Request.Tables, cancellationToken));
            }
            finally
            {
                foreach (var snapshot in snapshots)
                {
                    await snapshot.DisposeAsync();
                }
            }
        }

        // A name that matched nothing anywhere is a typo, and "identical" would hide it.
        var unmatched = run.Request.Tables.Where(t => run.Databases.All(d => d.UnmatchedTables.Contains(t))).ToList();
        return unmatched.Count == 0
            ? null
            : $"no table or sequence named {string.Join(", ", unmatched.Select(t => $"\"{t}\""))} in the " +
              $"database(s) checked ({string.Join(", ", names)})";
    }

    /// <summary>Main first, then the live nodes (or the one named); null with the reason when there is nothing to compare.</summary>
    private List<BackendNode>? NodesToCompare(CheckRequest request, out string? why)
    {
        why = null;
        var nodes = _services.Nodes;
        if (nodes.MainNode is not { } main)
        {
            why = "no backend node is up";
            return null;
        }

        if (request.NodeId is { } id)
        {
            if (nodes.Find(id) is not { } node)
            {
                why = $"node id {id} does not exist";
                return null;
            }

            if (node == main)
            {
                why = $"node {id} is main: there is nothing to compare it with";
                return null;
            }

            return [main, node];
        }

        var live = nodes.Nodes.Where(n => n.Status != BackendStatus.Down).OrderBy(n => n.NodeId).ToList();
        live.Remove(main);
        live.Insert(0, main);
        if (live.Count < 2)
        {
            why = $"only node {main.NodeId} is up: there is nothing to compare it with";
            return null;
        }

        return live;
    }

    private void DegenerateIfAsked(CheckRun run)
    {
        if (!_services.Options.ConsistencyCheckFailover || run.Request.Attach)
        {
            return;
        }

        foreach (var nodeId in run.Findings.Where(f => f.DataDiffers).Select(f => f.NodeId).Distinct())
        {
            if (_services.Nodes.Find(nodeId) is { } node && node != _services.Nodes.MainNode
                && _services.Nodes.Degenerate(node, $"consistency check {run.Id} found it different from main"))
            {
                Log.Degenerated(_logger, nodeId, run.Id);
            }
        }
    }

    private async Task RecordAsync(CheckRun run)
    {
        try
        {
            var settings = SystemDbSettings.From(_services.Options, _services.PoolPasswd, []);
            await CheckRecord.WriteAsync(settings, run.Id, run.StartedAt, run.Databases, run.Findings,
                _stopping.Token);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Log.NotRecorded(_logger, run.Id, e.Message);
        }
    }

    private async Task RunPeriodicAsync(CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            var period = _services.Options.ConsistencyCheckPeriod;
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(period > 0 ? period : 5), _services.Time, stopping);
                if (period > 0 && _services.Options.ConsistencyCheckPeriod > 0)
                {
                    await (RunAsync(new CheckRequest(null, [], [], "consistency_check_period"), stopping)
                           ?? Task.FromResult<CheckRun?>(null));
                }
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return; // a stop, then the server's own disposal
        }

        await _stopping.CancelAsync();
        foreach (var task in new[] { _periodic, _background })
        {
            if (task is not null)
            {
                try
                {
                    await task;
                }
                catch (OperationCanceledException)
                {
                }
            }
        }

        _stopping.Dispose();
    }
}

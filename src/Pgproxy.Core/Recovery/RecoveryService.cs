using Microsoft.Extensions.Logging;
using Pgproxy.Core.Consistency;

namespace Pgproxy.Core.Recovery;

/// <summary>
/// Runs the recoveries asked for by PGPROXY RECOVER NODE and <c>pgproxy node recover</c> in the background, one at a
/// time, and verifies each with a consistency check of the node against main once it is attached: a node that
/// differs then is taken out again and the recovery reported failed with the tables (issue 15 item 6). At start it
/// removes what a recovery of a pgproxy that died mid-way left on the nodes.
/// </summary>
internal sealed class RecoveryService(IRecoveryServices services, ILogger logger) : IAsyncDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _lock = new();
    private Task? _running;
    private int _disposed;

    /// <summary>The running recovery, else the last one; null before the first.</summary>
    public RecoveryRun? Latest { get; private set; }

    /// <summary>Removes leftovers of recoveries a dead pgproxy did not finish (best effort, logged).</summary>
    public void StartCleanup() =>
        _running = Task.Run(() => NodeRecovery.CleanupLeftoversAsync(services, logger, _stopping.Token));

    /// <summary>Starts a recovery; null when one is running (returned in <paramref name="running"/>).</summary>
    public RecoveryRun? TryStart(RecoveryRequest request, out RecoveryRun? running)
    {
        lock (_lock)
        {
            if (Latest is { Done: false } current)
            {
                running = current;
                return null;
            }

            running = null;
            var run = new RecoveryRun(request, new RecoveryProgress(services.Time));
            Latest = run;
            var previous = _running ?? Task.CompletedTask;
            _running = Task.Run(async () =>
            {
                await previous.ConfigureAwait(false); // the start-up cleanup first
                await RunAsync(run);
            });
            return run;
        }
    }

    private async Task RunAsync(RecoveryRun run)
    {
        try
        {
            var outcome = await new NodeRecovery(services, logger).RunAsync(run.Request, run.Progress, _stopping.Token);
            run.Outcome = outcome;
            run.Error = outcome.Succeeded ? await VerifyAsync(run.Request.NodeId) : outcome.Error;
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
        {
            run.Error = "pgproxy is stopping";
        }
        finally
        {
            run.Done = true;
        }
    }

    /// <summary>The node against main at a common cut; null when identical, else why it was taken out again.</summary>
    private async Task<string?> VerifyAsync(int nodeId)
    {
        if (services.Checks is not { } checks)
        {
            return null;
        }

        for (var attempt = 0; attempt < 60; attempt++)
        {
            // A recovered node with a lower id than main's becomes main on attach: it is then checked against every
            // other live node, the one it was copied from among them, rather than refused as main itself.
            int? against = services.Nodes.MainNode?.NodeId == nodeId ? null : nodeId;
            var run = await checks.RunAsync(new CheckRequest(against, [], [], $"verification of the recovery of node {nodeId}"),
                _stopping.Token);
            if (run is null)
            {
                await Task.Delay(TimeSpan.FromSeconds(1), services.Time, _stopping.Token); // a check is running
                continue;
            }

            switch (run.State)
            {
                case CheckState.Identical:
                    return null;
                case CheckState.Failed:
                    return $"node {nodeId} is up, but the check after the attach could not run: {run.Error}";
                default:
                    var tables = run.DifferingTables();
                    var why = $"node {nodeId} differs from main after its recovery (consistency check {run.Id}) in: " +
                              string.Join(", ", tables.Take(10));
                    if (services.Nodes.Find(nodeId) is { } node)
                    {
                        services.Nodes.Degenerate(node, why);
                    }

                    return why;
            }
        }

        return $"node {nodeId} is up, but no check could run after the attach (another check kept running)";
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await _stopping.CancelAsync();
        if (_running is { } running)
        {
            try
            {
                await running;
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
            }
        }

        _stopping.Dispose();
    }
}

using Microsoft.Extensions.Logging;
using Pgproxy.Core.Auth;
using Pgproxy.Core.Backends;

namespace Pgproxy.Core.Health;

/// <summary>
/// pgpool's health check: one loop per node that, every <c>health_check_period</c> seconds, opens a connection
/// of its own to the node (<see cref="HealthProbe"/>), retrying as configured (<see cref="HealthCheckRound"/>).
/// When the last attempt finds the node down, the node is degenerated — unless its <c>backend_flag</c> says
/// DISALLOW_TO_FAILOVER, in which case the failure is only logged. Down nodes are skipped, as in pgpool's native
/// replication mode: bringing one back is an explicit attach. A check that succeeds on a Waiting node marks it
/// Up. The loops only await timers and sockets; no thread is held while they wait.
/// </summary>
internal sealed partial class HealthChecker : IAsyncDisposable
{
    private readonly IHealthServices _services;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Task> _loops = [];

    // Cancelled (and replaced) when the settings change, to cut short a wait computed from the old period.
    // Never disposed: loops may still be reading its token, and with no timer attached there is nothing to free.
    private CancellationTokenSource _settingsChanged = new();

    public HealthChecker(IHealthServices services, ILogger logger)
    {
        _services = services;
        _logger = logger;
    }

    /// <summary>Starts one loop per configured node (each idles while <c>health_check_period</c> is 0).</summary>
    public void Start()
    {
        foreach (var node in _services.Nodes.Nodes)
        {
            _loops.Add(Task.Run(() => RunLoopAsync(node, _stopping.Token)));
        }
    }

    /// <summary>
    /// The configuration was reloaded: every loop re-reads its period now rather than after the old wait.
    /// </summary>
    public void SettingsChanged()
    {
        var previous = Interlocked.Exchange(ref _settingsChanged, new CancellationTokenSource());
        previous.Cancel();
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        await Task.WhenAll(_loops);
        _loops.Clear();
        _stopping.Dispose();
    }

    private async Task RunLoopAsync(BackendNode node, CancellationToken stopping)
    {
        var time = _services.Time;
        long? lastRoundEnded = null;
        while (!stopping.IsCancellationRequested)
        {
            var changed = Volatile.Read(ref _settingsChanged).Token;
            var settings = HealthCheckSettings.From(_services.Options);
            try
            {
                if (!settings.Enabled)
                {
                    await WaitAsync(Timeout.InfiniteTimeSpan, changed, stopping);
                    continue;
                }

                var due = lastRoundEnded is { } ended ? settings.Period - time.GetElapsedTime(ended) : TimeSpan.Zero;
                if (due > TimeSpan.Zero)
                {
                    await WaitAsync(due, changed, stopping);
                    continue;
                }

                await CheckNodeAsync(node, settings, stopping);
                lastRoundEnded = time.GetTimestamp();
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // A bug must not end health checking for good: log it and try again next period.
                Log.LoopFailed(_logger, e, node.NodeId);
                lastRoundEnded = time.GetTimestamp();
            }
        }
    }

    /// <summary>
    /// One round for <paramref name="node"/>: skipped when it is down, else attempts and retries, then the
    /// outcome applied (stats, Waiting → Up, or degeneration). Returns the round's result, null when skipped.
    /// </summary>
    internal async Task<HealthCheckRoundResult?> CheckNodeAsync(BackendNode node, HealthCheckSettings settings,
        CancellationToken stopping)
    {
        var time = _services.Time;
        var stats = _services.HealthStats[node.NodeId];
        if (node.Status == BackendStatus.Down)
        {
            stats.RecordSkip(time.GetUtcNow());
            return null;
        }

        var startedAt = time.GetUtcNow();
        var started = time.GetTimestamp();
        var credential = ResolveCredential(settings, out var problem);
        HealthCheckRoundResult round;
        if (credential is null)
        {
            round = new HealthCheckRoundResult(new HealthProbeResult(HealthCheckFailure.Refused, problem!), 0);
        }
        else
        {
            round = await HealthCheckRound.RunAsync(
                token => HealthProbe.CheckAsync(_services.BackendConnector, node, settings, credential, token),
                settings.MaxRetries,
                settings.RetryDelay,
                (delay, token) => Task.Delay(delay, time, token),
                (retry, failed) => Log.Retrying(_logger, node.NodeId, retry, settings.MaxRetries, failed.Reason),
                stopping);
        }

        stats.RecordRound(startedAt, time.GetElapsedTime(started), round);
        Apply(node, round);
        return round;
    }

    private BackendCredential? ResolveCredential(HealthCheckSettings settings, out string? problem)
    {
        var credential = ConfiguredPassword.Resolve(settings.Password, settings.User, _services.PoolPasswd,
            out problem);
        if (credential is null)
        {
            problem = "health_check_password: " + problem;
            Log.CredentialProblem(_logger, settings.User, problem);
        }

        return credential;
    }

    private void Apply(BackendNode node, HealthCheckRoundResult round)
    {
        var result = round.Last;
        if (result.Succeeded)
        {
            if (round.Retries > 0)
            {
                Log.RetrySucceeded(_logger, node.NodeId, round.Retries);
            }

            if (_services.Nodes.MarkUp(node, "health check succeeded"))
            {
                Log.NodeUp(_logger, node.NodeId);
            }

            return;
        }

        if (!result.NodeLooksDown)
        {
            Log.Refused(_logger, node.NodeId, result.Reason);
            return;
        }

        if (node.Config.DisallowToFailover)
        {
            Log.FailoverDisallowed(_logger, node.NodeId, result.Reason);
            return;
        }

        if (_services.Nodes.Degenerate(node, "health check failed: " + result.Reason))
        {
            Log.Failed(_logger, node.NodeId, round.Retries, result.Reason);
        }
    }

    /// <summary>Waits <paramref name="delay"/>, or less when the settings change; throws only when stopping.</summary>
    private async Task WaitAsync(TimeSpan delay, CancellationToken changed, CancellationToken stopping)
    {
        using var wake = CancellationTokenSource.CreateLinkedTokenSource(changed, stopping);
        try
        {
            await Task.Delay(delay, _services.Time, wake.Token);
        }
        catch (OperationCanceledException) when (!stopping.IsCancellationRequested)
        {
            // The settings changed: the caller re-reads them.
        }
    }
}

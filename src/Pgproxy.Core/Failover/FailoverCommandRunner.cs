using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Pgproxy.Core.Admin;
using Pgproxy.Core.Backends;

namespace Pgproxy.Core.Failover;

/// <summary>
/// Runs <c>failover_command</c> when a node is degenerated and <c>failback_command</c> when a down node is
/// attached again. The status change is reported on whatever thread made it — often a session in the middle of
/// a statement — so the handler only queues the request; one background consumer runs the commands one at a
/// time, in the order the changes happened, each bounded by <see cref="CommandTimeout"/>, and logs how each
/// ended.
/// </summary>
internal sealed partial class FailoverCommandRunner : IAsyncDisposable
{
    private readonly IFailoverServices _services;
    private readonly ILogger _logger;
    private readonly Channel<FailoverCommandRequest> _queue =
        Channel.CreateUnbounded<FailoverCommandRequest>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _abandon = new();
    private Task _consumer = Task.CompletedTask;

    public FailoverCommandRunner(IFailoverServices services, ILogger logger)
    {
        _services = services;
        _logger = logger;
    }

    /// <summary>
    /// Longest a hook may run before it is killed with its children. pgpool waits for ever, which blocks every
    /// later failover; five minutes leaves room for a promotion or a remote restart.
    /// </summary>
    public TimeSpan CommandTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>How long shutdown waits for queued and running hooks before killing what still runs.</summary>
    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromSeconds(30);

    public void Start()
    {
        _services.Nodes.StatusChanged += OnStatusChanged;
        _consumer = Task.Run(ConsumeAsync);
    }

    public ValueTask DisposeAsync() => new(StopAsync(drain: true));

    /// <summary>
    /// Stops taking changes. With <paramref name="drain"/>, queued and running hooks get up to
    /// <see cref="DrainTimeout"/> to finish; without (immediate shutdown), a running hook is killed at once and
    /// queued ones are dropped.
    /// </summary>
    public async Task StopAsync(bool drain)
    {
        _services.Nodes.StatusChanged -= OnStatusChanged;
        if (!_queue.Writer.TryComplete())
        {
            return; // stopped already
        }

        if (!drain || await Task.WhenAny(_consumer, Task.Delay(DrainTimeout)) != _consumer)
        {
            await _abandon.CancelAsync();
        }

        await _consumer;
        _abandon.Dispose();
    }

    /// <summary>Queues the hook for a change; never blocks (it runs on the thread that changed the status).</summary>
    private void OnStatusChanged(NodeStatusChange change)
    {
        FailoverCommandKind kind;
        if (change.Current == BackendStatus.Down)
        {
            kind = FailoverCommandKind.Failover;
        }
        else if (change.Previous == BackendStatus.Down)
        {
            kind = FailoverCommandKind.Failback;
        }
        else
        {
            return;
        }

        var options = _services.Options;
        var template = kind == FailoverCommandKind.Failover ? options.FailoverCommand : options.FailbackCommand;
        if (template.Length > 0)
        {
            _queue.Writer.TryWrite(new FailoverCommandRequest(kind, change, template, options.Backends));
        }
    }

    private async Task ConsumeAsync()
    {
        await foreach (var request in _queue.Reader.ReadAllAsync())
        {
            if (_abandon.IsCancellationRequested)
            {
                Log.Dropped(_logger, request.Key, request.Change.NodeId);
                continue;
            }

            try
            {
                await RunAsync(request);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                Log.NotStarted(_logger, e, request.Key, request.Change.NodeId);
            }
        }
    }

    private async Task RunAsync(FailoverCommandRequest request)
    {
        var nodeId = request.Change.NodeId;
        var expansion = FailoverCommandTemplate.Expand(request.Template, request.Change, request.Backends);
        if (expansion.Command is not { } command)
        {
            Log.Refused(_logger, request.Key, nodeId, expansion.Problem!);
            return;
        }

        // The log may be read by more people than pgproxy.conf: credentials in the command, or echoed by it,
        // are masked there as in SHOW POOL_STATUS.
        Log.Started(_logger, request.Key, nodeId, EmbeddedSecrets.Mask(command));
        var result = await ShellCommand.RunAsync(command, CommandTimeout, _abandon.Token);
        var stdErr = EmbeddedSecrets.Mask(result.StdErr);
        if (result.StdOut.Length > 0)
        {
            Log.Output(_logger, request.Key, nodeId, "stdout", EmbeddedSecrets.Mask(result.StdOut));
        }

        if (result.TimedOut)
        {
            Log.TimedOut(_logger, request.Key, nodeId, result.Duration.TotalSeconds, stdErr);
        }
        else if (result.Succeeded)
        {
            Log.Succeeded(_logger, request.Key, nodeId, result.Duration.TotalMilliseconds);
            if (stdErr.Length > 0)
            {
                Log.Output(_logger, request.Key, nodeId, "stderr", stdErr);
            }
        }
        else
        {
            Log.Failed(_logger, request.Key, nodeId, result.ExitCode!.Value, stdErr);
        }
    }
}

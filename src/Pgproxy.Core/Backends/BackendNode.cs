using System.Diagnostics.CodeAnalysis;
using Pgproxy.Core.Config;

namespace Pgproxy.Core.Backends;

/// <summary>
/// The long-lived runtime object for one configured node: its current configuration (swapped whole on reload),
/// its status and counters. Sessions read it without locks.
/// </summary>
[SuppressMessage("Reliability", "CA1001", Justification =
    "The node lives as long as the process; its down signals carry no timer, so there is nothing to dispose.")]
internal sealed class BackendNode
{
    private volatile BackendConfig _config;
    private volatile BackendEndpoint _endpoint;
    private long _selectCount;
    private int _status;
    private long _lastStatusChangeTicks;
    private volatile string _lastStatusReason = "";

    // Guards the pairing of a change into or out of Down with the swap of _untilDown, so that a degeneration
    // racing an attach can never cancel the token of the node's next life. Status changes are rare; reads of
    // the status and of the token stay lock-free.
    private readonly Lock _downLock = new();

    // Cancelled when the node goes down, replaced when it comes back. Old sources are never disposed: sessions
    // may still hold their tokens, and with no timer attached there is nothing to free.
    private volatile CancellationTokenSource _untilDown = new();

    public BackendNode(BackendConfig config, TimeProvider time)
    {
        _config = config;
        _endpoint = BackendEndpoint.From(config);
        _status = (int)BackendStatus.Waiting;
        _lastStatusChangeTicks = time.GetUtcNow().UtcTicks;
    }

    public int NodeId => _config.NodeId;

    public BackendConfig Config
    {
        get => _config;
        set
        {
            _config = value;
            _endpoint = BackendEndpoint.From(value);
        }
    }

    public BackendEndpoint Endpoint => _endpoint;

    public BackendStatus Status => (BackendStatus)Volatile.Read(ref _status);

    public DateTimeOffset LastStatusChange => new(Interlocked.Read(ref _lastStatusChangeTicks), TimeSpan.Zero);

    /// <summary>Why the status last changed ("" until it first does for a reason worth telling).</summary>
    public string LastStatusReason => _lastStatusReason;

    /// <summary>
    /// Cancelled the moment the node is degenerated (already cancelled while it is down). Every backend connection
    /// to the node is tied to the token it had when it was opened (<see cref="BackendConnection.AbortWhenDown"/>),
    /// so a statement waiting on a node that the health check, or another session, takes out stops waiting at
    /// once instead of until the node answers again.
    /// </summary>
    public CancellationToken DownToken => _untilDown.Token;

    /// <summary>Statements sent to this node as its reads (pgpool's <c>select_cnt</c>).</summary>
    public long SelectCount => Interlocked.Read(ref _selectCount);

    public void CountSelect() => Interlocked.Increment(ref _selectCount);

    /// <summary>Statements, errors and degenerations by kind (SHOW POOL_BACKEND_STATS, metrics).</summary>
    public NodeStatistics Statistics { get; } = new();

    /// <summary>
    /// Waiting → Up, and nothing else: a connection or health check that succeeded must not bring back a node
    /// that was degenerated meanwhile. Returns false when the node was not Waiting. Unreported: callers go
    /// through <see cref="BackendNodeSet.MarkUp"/>.
    /// </summary>
    public bool TryMarkUp(TimeProvider time)
    {
        if (Interlocked.CompareExchange(ref _status, (int)BackendStatus.Up, (int)BackendStatus.Waiting)
            != (int)BackendStatus.Waiting)
        {
            return false;
        }

        Interlocked.Exchange(ref _lastStatusChangeTicks, time.GetUtcNow().UtcTicks);
        return true;
    }

    /// <summary>Moves to <paramref name="status"/> (false if already there), and tells the status it had before.</summary>
    public bool TrySetStatus(BackendStatus status, TimeProvider time, string reason, out BackendStatus previous)
    {
        CancellationTokenSource? wentDown;
        lock (_downLock)
        {
            previous = (BackendStatus)Interlocked.Exchange(ref _status, (int)status);
            if (previous == status)
            {
                return false;
            }

            // Before the token fires, so that a session woken by it reads why the node went down.
            if (reason.Length > 0)
            {
                _lastStatusReason = reason;
            }

            Interlocked.Exchange(ref _lastStatusChangeTicks, time.GetUtcNow().UtcTicks);
            wentDown = SwapDownSignal(previous, status);
        }

        // Outside the lock: the callbacks abort sockets (a system call each), and none of them may wait on it.
        wentDown?.Cancel();
        return true;
    }

    /// <summary>
    /// Sets the status read back from the status file or catalog at start, with the time it changed then;
    /// reports nothing.
    /// </summary>
    public void RestoreStatus(BackendStatus status, DateTimeOffset changedAt, string reason)
    {
        CancellationTokenSource? wentDown;
        lock (_downLock)
        {
            var previous = (BackendStatus)Interlocked.Exchange(ref _status, (int)status);
            wentDown = SwapDownSignal(previous, status);
        }

        _lastStatusReason = reason;
        Interlocked.Exchange(ref _lastStatusChangeTicks, changedAt.UtcTicks);
        wentDown?.Cancel();
    }

    /// <summary>
    /// Keeps <see cref="DownToken"/> in step with a status change (under <see cref="_downLock"/>): a node that
    /// leaves Down gets a fresh token; the source to cancel is returned when it enters Down.
    /// </summary>
    private CancellationTokenSource? SwapDownSignal(BackendStatus previous, BackendStatus status)
    {
        if (status == BackendStatus.Down)
        {
            return previous == BackendStatus.Down ? null : _untilDown;
        }

        if (_untilDown.IsCancellationRequested)
        {
            _untilDown = new CancellationTokenSource();
        }

        return null;
    }
}

namespace Pgproxy.Core.Backends;

/// <summary>
/// Holds back a client's CancelRequest from a backend while a BEGIN that pgproxy sent it, ahead of the client's
/// statement in the same network write, may still be running (the client's deferred BEGIN, or the BEGIN of
/// pgproxy's own transaction around an autocommit write). A cancel that lands there fails the BEGIN alone: the
/// backend then runs the statement outside the transaction, in autocommit, and commits it at once, while the other
/// nodes run it inside. Through two nodes under a client that cancelled every statement this left a row apart.
/// Once the BEGIN's ReadyForQuery is read, the cancel goes on and reaches the statement, as the client meant.
/// pgproxy's own COMMIT and ROLLBACK are held the same way (NodeLink.Inject): cancelled, they leave the
/// transaction open and failed.
/// The wait is bounded, from the last BEGIN sent: a BEGIN runs in microseconds, and an answer pgproxy reads late
/// (the others' answers owed to a later statement) belongs to a BEGIN long done. A cancel held longer could land
/// on a later statement of a node that lags behind main, which the client never meant to cancel.
/// </summary>
internal sealed class CancelHold
{
    /// <summary>How long after the last BEGIN was sent a cancel waits at most for its answer.</summary>
    public TimeSpan MaxWait { get; set; } = TimeSpan.FromMilliseconds(100);

    private readonly Lock _lock = new();
    private int _begins;
    private long _lastBeginAt;
    private TaskCompletionSource? _cleared;

    /// <summary>A BEGIN was sent; its ReadyForQuery is not read yet.</summary>
    public void Hold()
    {
        lock (_lock)
        {
            _begins++;
            _lastBeginAt = Environment.TickCount64;
        }
    }

    /// <summary>A BEGIN's ReadyForQuery was read.</summary>
    public void Release()
    {
        TaskCompletionSource? cleared = null;
        lock (_lock)
        {
            if (_begins > 0 && --_begins == 0)
            {
                (cleared, _cleared) = (_cleared, null);
            }
        }

        cleared?.TrySetResult();
    }

    /// <summary>The replies pgproxy waited for will not be read (the queue of injected replies was dropped).</summary>
    public void Reset()
    {
        TaskCompletionSource? cleared;
        lock (_lock)
        {
            _begins = 0;
            (cleared, _cleared) = (_cleared, null);
        }

        cleared?.TrySetResult();
    }

    /// <summary>Completes when no BEGIN is in flight, or <see cref="MaxWait"/> after the last one was sent.</summary>
    public async Task WhenNoBeginAsync()
    {
        Task cleared;
        TimeSpan left;
        lock (_lock)
        {
            left = MaxWait - TimeSpan.FromMilliseconds(Environment.TickCount64 - _lastBeginAt);
            if (_begins == 0 || left <= TimeSpan.Zero)
            {
                return;
            }

            _cleared ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            cleared = _cleared.Task;
        }

        await Task.WhenAny(cleared, Task.Delay(left));
    }
}

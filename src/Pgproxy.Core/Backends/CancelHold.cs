namespace Pgproxy.Core.Backends;

/// <summary>
/// Holds back a client's CancelRequest from a backend while a BEGIN that pgproxy sent it, ahead of the client's
/// statement in the same network write, may still be running (the client's deferred BEGIN, or the BEGIN of
/// pgproxy's own transaction around an autocommit write). A cancel that lands there fails the BEGIN alone: the
/// backend then runs the statement outside the transaction, in autocommit, and commits it at once, while the other
/// nodes run it inside. Through two nodes under a client that cancelled every statement this left a row apart.
/// Once the BEGIN's ReadyForQuery is read, the cancel goes on and reaches the statement, as the client meant.
/// The wait is bounded: a BEGIN runs in microseconds, and an answer pgproxy reads late (the others' answers owed
/// to a later statement) belongs to a BEGIN long done.
/// </summary>
internal sealed class CancelHold
{
    /// <summary>How long a cancel waits at most for the BEGINs in flight.</summary>
    public static readonly TimeSpan MaxWait = TimeSpan.FromMilliseconds(500);

    private readonly Lock _lock = new();
    private int _begins;
    private TaskCompletionSource? _cleared;

    /// <summary>A BEGIN was sent; its ReadyForQuery is not read yet.</summary>
    public void Hold()
    {
        lock (_lock)
        {
            _begins++;
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

    /// <summary>Completes when no BEGIN is in flight, or after <see cref="MaxWait"/>.</summary>
    public async Task WhenNoBeginAsync()
    {
        Task cleared;
        lock (_lock)
        {
            if (_begins == 0)
            {
                return;
            }

            _cleared ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            cleared = _cleared.Task;
        }

        await Task.WhenAny(cleared, Task.Delay(MaxWait));
    }
}

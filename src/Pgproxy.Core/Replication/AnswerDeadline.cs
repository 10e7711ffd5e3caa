using Pgproxy.Core.Backends;

namespace Pgproxy.Core.Replication;

/// <summary>
/// <c>replication_answer_timeout</c> for one session: while a bound is set (<see cref="Begin"/>), reads from every
/// node but the session's main must complete by a deadline — main's own time for the same work plus the setting —
/// else that node is degenerated. A plain read timeout would cut off legitimately long statements; this one only
/// bounds how far a node may lag behind main, which has already done the work. Main itself is never bounded.
/// One timer for the session's whole life, re-armed per read, never replaced.
/// </summary>
internal sealed class AnswerDeadline
{
    /// <summary>
    /// The least a blocking read of an other node is given, even past the deadline: its answer may already be in
    /// the socket while the session was reading the node before it, and a read that completes at once must not race
    /// a timer that fires at once.
    /// </summary>
    private static readonly TimeSpan MinimumAnswerWait = TimeSpan.FromMilliseconds(50);

    private readonly TimeProvider _time;
    private readonly Func<int> _timeoutSeconds;
    private readonly Action<BackendNode, string> _degenerate;

    /// <summary>Guards what the timer callback reads: <see cref="_waitingOn"/> and the deadline.</summary>
    private readonly Lock _lock = new();

    private ITimer? _timer;

    /// <summary>While set, reads from every node but this one (the session's main) are bounded by the deadline.</summary>
    private NodeLink? _main;

    /// <summary>Timestamp (<see cref="TimeProvider.GetTimestamp"/>) by which the other nodes must have answered.</summary>
    private long _deadline;

    /// <summary>What the deadline was made of, for the reason a late node is degenerated with.</summary>
    private TimeSpan _mainTime;

    private int _seconds;

    /// <summary>The other node whose read the timer is armed for (under <see cref="_lock"/>).</summary>
    private NodeLink? _waitingOn;

    /// <param name="time">The session's clock (tests drive it).</param>
    /// <param name="timeoutSeconds">The setting as it is now (a reload may change it between statements).</param>
    /// <param name="degenerate">Takes a late node out for every session; called on a timer thread.</param>
    public AnswerDeadline(TimeProvider time, Func<int> timeoutSeconds, Action<BackendNode, string> degenerate)
    {
        _time = time;
        _timeoutSeconds = timeoutSeconds;
        _degenerate = degenerate;
    }

    /// <summary>
    /// From now on, until the returned scope ends, the nodes other than <paramref name="main"/> must answer within
    /// <paramref name="mainTime"/> plus the setting. Nothing happens when the setting is 0 or there is no main.
    /// </summary>
    public Scope Begin(NodeLink? main, TimeSpan mainTime)
    {
        var seconds = _timeoutSeconds();
        if (seconds <= 0 || main is null)
        {
            return default;
        }

        var budget = mainTime + TimeSpan.FromSeconds(seconds);
        lock (_lock)
        {
            _main = main;
            _mainTime = mainTime;
            _seconds = seconds;
            _deadline = _time.GetTimestamp() + (long)(budget.TotalSeconds * _time.TimestampFrequency);
        }

        return new Scope(this);
    }

    /// <summary>True when a read of <paramref name="link"/> must be bounded (it is not main, and a bound is set).</summary>
    public bool Bounds(NodeLink link) => _main is { } main && link != main;

    /// <summary>
    /// Arms the timer for a read of <paramref name="link"/> that is about to wait: it fires at the deadline (or after
    /// <see cref="MinimumAnswerWait"/> when that is sooner). One <see cref="ITimer.Change"/>, no allocation.
    /// </summary>
    public void Arm(NodeLink link)
    {
        lock (_lock)
        {
            _waitingOn = link;
            _timer ??= _time.CreateTimer(static state => ((AnswerDeadline)state!).OnTimeout(),
                this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            _timer.Change(Remaining(), Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>The read returned (or failed): the timer must not fire for it.</summary>
    public void Disarm()
    {
        lock (_lock)
        {
            _waitingOn = null;
            _timer!.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>Releases the timer when the session ends (the session's last act, hence no IDisposable).</summary>
    public void Release()
    {
        lock (_lock)
        {
            _waitingOn = null;
            _timer?.Dispose();
            _timer = null;
        }
    }

    private TimeSpan Remaining()
    {
        var left = _time.GetElapsedTime(_time.GetTimestamp(), _deadline);
        return left > MinimumAnswerWait ? left : MinimumAnswerWait;
    }

    /// <summary>
    /// On a timer thread: the node the session waits on is late. It is degenerated for every session, as the health
    /// check does with a node it finds dead; that aborts its connections, which ends the session's wait with a node
    /// failure, and the session carries on with the remaining nodes.
    /// </summary>
    private void OnTimeout()
    {
        NodeLink link;
        string reason;
        lock (_lock)
        {
            if (_waitingOn is not { } waitingOn)
            {
                return; // the read returned meanwhile
            }

            if (_time.GetTimestamp() < _deadline)
            {
                // A callback of an earlier arming, or a timer a little early: wait for the real deadline.
                _timer!.Change(Remaining(), Timeout.InfiniteTimeSpan);
                return;
            }

            link = waitingOn;
            _waitingOn = null;
            reason = $"it did not answer within replication_answer_timeout ({_seconds} s) beyond main's " +
                     $"{_mainTime.TotalMilliseconds:0} ms for the same statement";
        }

        _degenerate(link.Node, reason);
    }

    /// <summary>A bound in force; disposing it ends the bound (reads wait without limit again).</summary>
    public readonly struct Scope(AnswerDeadline? owner) : IDisposable
    {
        public void Dispose()
        {
            if (owner is not null)
            {
                owner._main = null;
            }
        }
    }
}

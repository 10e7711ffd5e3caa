namespace Pgproxy.Core.Replication;

internal sealed partial class ReplicationSession
{
    /// <summary>
    /// The least a blocking read of an other node is given, even past the deadline: its answer may already be in
    /// the socket while the session was reading the node before it, and a read that completes at once must not race
    /// a timer that fires at once.
    /// </summary>
    private static readonly TimeSpan MinimumAnswerWait = TimeSpan.FromMilliseconds(50);

    /// <summary>Guards what the timer callback reads: <see cref="_answerWaitingOn"/> and the deadline.</summary>
    private readonly Lock _answerLock = new();

    /// <summary>One timer for the session's whole life, created at its first bounded wait; re-armed, never replaced.</summary>
    private ITimer? _answerTimer;

    /// <summary>While set, reads from every node but this one (the session's main) are bounded by the deadline.</summary>
    private NodeLink? _answerMain;

    /// <summary>Timestamp (<see cref="TimeProvider.GetTimestamp"/>) by which the other nodes must have answered.</summary>
    private long _answerDeadline;

    /// <summary>What the deadline was made of, for the reason a late node is degenerated with.</summary>
    private TimeSpan _answerMainTime;

    private int _answerSeconds;

    /// <summary>The other node whose read the timer is armed for (under <see cref="_answerLock"/>).</summary>
    private NodeLink? _answerWaitingOn;

    /// <summary>Main's time for the writes the others owe answers to (see <see cref="Defer"/>), for their deadline.</summary>
    private TimeSpan _owedMainTime;

    /// <summary>
    /// <c>replication_answer_timeout</c>: from now on, until <see cref="EndAnswerBound"/>, the nodes other than
    /// <paramref name="main"/> must answer within <paramref name="mainTime"/> (main's own time for the same work)
    /// plus the setting, else they are degenerated. A plain read timeout would cut off legitimately long statements;
    /// this one only bounds how far a node may lag behind main, which has already done the work. Main itself is never
    /// bounded. Nothing happens when the setting is 0.
    /// </summary>
    private void BeginAnswerBound(NodeLink? main, TimeSpan mainTime)
    {
        var seconds = _runtime.Options.ReplicationAnswerTimeout;
        if (seconds <= 0 || main is null)
        {
            return;
        }

        var budget = mainTime + TimeSpan.FromSeconds(seconds);
        lock (_answerLock)
        {
            _answerMain = main;
            _answerMainTime = mainTime;
            _answerSeconds = seconds;
            _answerDeadline = _runtime.Time.GetTimestamp() + (long)(budget.TotalSeconds * _runtime.Time.TimestampFrequency);
        }
    }

    /// <summary>Ends the bound <see cref="BeginAnswerBound"/> set; reads wait without limit again.</summary>
    private void EndAnswerBound() => _answerMain = null;

    /// <summary>True when a read of <paramref name="link"/> must be bounded (it is not main, and a bound is set).</summary>
    private bool IsAnswerBounded(NodeLink link) => _answerMain is { } main && link != main;

    /// <summary>
    /// Arms the timer for a read of <paramref name="link"/> that is about to wait: it fires at the deadline (or after
    /// <see cref="MinimumAnswerWait"/> when that is sooner). One <see cref="ITimer.Change"/>, no allocation.
    /// </summary>
    private void ArmAnswerTimer(NodeLink link)
    {
        lock (_answerLock)
        {
            _answerWaitingOn = link;
            _answerTimer ??= _runtime.Time.CreateTimer(static state => ((ReplicationSession)state!).OnAnswerTimeout(),
                this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            _answerTimer.Change(RemainingAnswerTime(), Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>The read returned (or failed): the timer must not fire for it.</summary>
    private void DisarmAnswerTimer()
    {
        lock (_answerLock)
        {
            _answerWaitingOn = null;
            _answerTimer!.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        }
    }

    private TimeSpan RemainingAnswerTime()
    {
        var left = _runtime.Time.GetElapsedTime(_runtime.Time.GetTimestamp(), _answerDeadline);
        return left > MinimumAnswerWait ? left : MinimumAnswerWait;
    }

    /// <summary>
    /// On a timer thread: the node the session waits on is late. It is degenerated for every session, as the health
    /// check does with a node it finds dead; that aborts its connections, which ends the session's wait with a node
    /// failure, and the session carries on with the remaining nodes.
    /// </summary>
    private void OnAnswerTimeout()
    {
        NodeLink link;
        string reason;
        lock (_answerLock)
        {
            if (_answerWaitingOn is not { } waitingOn)
            {
                return; // the read returned meanwhile
            }

            if (_runtime.Time.GetTimestamp() < _answerDeadline)
            {
                // A callback of an earlier arming, or a timer a little early: wait for the real deadline.
                _answerTimer!.Change(RemainingAnswerTime(), Timeout.InfiniteTimeSpan);
                return;
            }

            link = waitingOn;
            _answerWaitingOn = null;
            reason = $"it did not answer within replication_answer_timeout ({_answerSeconds} s) beyond main's " +
                     $"{_answerMainTime.TotalMilliseconds:0} ms for the same statement";
        }

        if (_runtime.Nodes.Degenerate(link.Node, reason))
        {
            Log.NodeDegenerated(_logger, link.NodeId, reason);
        }
    }

    /// <summary>Releases the timer when the session ends.</summary>
    private void DisposeAnswerTimer()
    {
        lock (_answerLock)
        {
            _answerWaitingOn = null;
            _answerTimer?.Dispose();
            _answerTimer = null;
        }
    }
}

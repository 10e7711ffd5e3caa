using Pgproxy.Core.Metrics;

namespace Pgproxy.Core.Replication;

/// <summary>
/// The one point where commits can be held while reads go on (DESIGN §5, the write gate). Every commit that ends a
/// transaction on several nodes passes through <see cref="EnterAsync"/> and holds its <see cref="Pass"/> until the
/// last node has committed; <see cref="CloseAsync"/> stops new passes and waits until the passes in flight are
/// back. While it is closed no node commits anything, so snapshots taken then on every node see the same
/// transactions: the common cut that the consistency check compares at and recovery cuts over at.
/// </summary>
/// <remarks>
/// Only the commit step is gated, never a statement inside a transaction: a statement can wait on main for a row
/// lock whose holder waits at a closed gate for its own COMMIT, and the gate would then wait for that statement.
/// Commits themselves take no locks, so draining them always ends. Open, a pass costs two interlocked operations;
/// closing, waiting and opening take a lock. Commits that waited at a closed gate are let through as it opens, before
/// any later closure can finish draining, so back-to-back closures cannot starve them.
/// </remarks>
internal sealed partial class WriteGate
{
    private readonly Lock _lock = new();
    private readonly TimeProvider _time;
    private volatile Closed? _closed; // set while closed (closing or drained); written under _lock
    private volatile TaskCompletionSource? _drained; // completed when the last pass in flight is back
    private int _inFlight;
    private long _commits;
    private bool _owned; // under _lock: a closer holds the gate

    public WriteGate(TimeProvider? time = null) => _time = time ?? TimeProvider.System;

    /// <summary>Commits in flight now (passes not yet disposed).</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    public bool IsClosed => _closed is not null;

    /// <summary>Commits let through since start: equal at two moments, nothing committed in between.</summary>
    public long Commits => Interlocked.Read(ref _commits);

    /// <summary>How long each close held commits, from closing to opening (µs).</summary>
    public LatencyHistogram Closures { get; } = new();

    /// <summary>How long each commit that met the closed gate waited there (µs): the pause a client sees.</summary>
    public LatencyHistogram Waits { get; } = new();

    /// <summary>Lets one commit through, waiting while the gate is closed.</summary>
    public ValueTask<Pass> EnterAsync(CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _inFlight);
        if (_closed is null)
        {
            Interlocked.Increment(ref _commits);
            return ValueTask.FromResult(new Pass(this));
        }

        Exit(); // closed between the check and the increment, or before: wait outside
        return WaitAndEnterAsync(cancellationToken);
    }

    private async ValueTask<Pass> WaitAndEnterAsync(CancellationToken cancellationToken)
    {
        var started = _time.GetTimestamp();
        Closed? closed;
        lock (_lock)
        {
            closed = _closed;
            if (closed is null)
            {
                Interlocked.Increment(ref _inFlight); // no closer can start draining while the lock is held
                Interlocked.Increment(ref _commits);
                return new Pass(this);
            }

            closed.Waiters++;
        }

        try
        {
            await closed.Opened.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            lock (_lock)
            {
                if (!closed.IsOpen)
                {
                    closed.Waiters--;
                    throw;
                }
            }

            Exit(); // admitted as the gate opened: give the pass back
            throw;
        }

        Waits.Record((long)_time.GetElapsedTime(started).TotalMicroseconds);
        return new Pass(this); // Open counted it in flight
    }

    /// <summary>
    /// Closes the gate for one closer alone (a check, a recovery's cutover, an attach) and waits until no commit is in
    /// flight, for at most <paramref name="timeout"/> in all. On success the caller owns the closed gate and must
    /// dispose the returned <see cref="Closure"/> to open it; on timeout the gate is open again (or still held by the
    /// other closer) and the outcome says why.
    /// </summary>
    public async Task<GateClosing> CloseAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var started = _time.GetTimestamp();
        while (true)
        {
            Task opened;
            lock (_lock)
            {
                if (!_owned)
                {
                    _owned = true;
                    _closed = new Closed();
                    break;
                }

                opened = _closed!.Opened.Task;
            }

            if (!await WaitUntilOpenAsync(opened, started, timeout, cancellationToken))
            {
                return GateClosing.Busy(timeout);
            }
        }

        if (await DrainOrOpenAsync(started, timeout, cancellationToken) is { } failure)
        {
            return failure;
        }

        return GateClosing.Closed(new Closure(this, started, shared: false), _time.GetElapsedTime(started));
    }

    /// <summary>Waits until the closure <paramref name="opened"/> belongs to has ended; false when time ran out.
    /// </summary>
    private async Task<bool> WaitUntilOpenAsync(Task opened, long started, TimeSpan timeout,
        CancellationToken cancellationToken)
    {
        var left = timeout - _time.GetElapsedTime(started);
        if (left <= TimeSpan.Zero)
        {
            return false;
        }

        try
        {
            await opened.WaitAsync(left, _time, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    /// <summary>
    /// Drains the commits in flight for the closure just taken; on failure (time ran out, or cancelled: thrown) the
    /// gate is opened again and the failure returned.
    /// </summary>
    private async Task<GateClosing?> DrainOrOpenAsync(long started, TimeSpan timeout,
        CancellationToken cancellationToken)
    {
        try
        {
            await DrainAsync(started, timeout, cancellationToken).ConfigureAwait(false);
            return null;
        }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException)
        {
            var inFlight = InFlight;
            Open(started);
            if (e is OperationCanceledException)
            {
                throw;
            }

            return GateClosing.TimedOut(timeout, inFlight);
        }
    }

    /// <summary>
    /// Waits until no pass is in flight. A pass's Exit only signals the drain it saw, and may see it late: an Exit
    /// descheduled between its decrement and its signal can complete a later closure's drain while that closure still
    /// has a commit in flight (the write gate's stress test caught it). So the count is looked at again after every
    /// signal, with a fresh signal installed first: either this sees the last Exit's decrement, or that Exit sees
    /// the fresh signal.
    /// </summary>
    private async Task DrainAsync(long started, TimeSpan timeout, CancellationToken cancellationToken)
    {
        while (true)
        {
            var drained = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _drained = drained;
            Thread.MemoryBarrier(); // the stores to _closed and _drained before the load of _inFlight (Exit: converse)
            if (Volatile.Read(ref _inFlight) == 0)
            {
                return;
            }

            var left = timeout - _time.GetElapsedTime(started);
            if (left <= TimeSpan.Zero)
            {
                throw new TimeoutException();
            }

            await drained.Task.WaitAsync(left, _time, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Opens the gate: the commits that waited at it are let through at once (counted in flight here, so a closure
    /// that starts next drains them rather than holding them again).
    /// </summary>
    private void Open(long closedAt)
    {
        Closed? closed;
        lock (_lock)
        {
            closed = _closed;
            _closed = null;
            _drained = null;
            _owned = false;
            _forming = null;
            _members = 0;
            if (closed is not null)
            {
                closed.IsOpen = true;
                Interlocked.Add(ref _inFlight, closed.Waiters);
                Interlocked.Add(ref _commits, closed.Waiters);
            }
        }

        Closures.Record((long)_time.GetElapsedTime(closedAt).TotalMicroseconds);
        closed?.Opened.TrySetResult();
    }

    private void Exit()
    {
        if (Interlocked.Decrement(ref _inFlight) == 0 && _closed is not null)
        {
            _drained?.TrySetResult();
        }
    }

    /// <summary>One closure of the gate: what opens it, and the commits waiting for that.</summary>
    private sealed class Closed
    {
        public TaskCompletionSource Opened { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Commits waiting at this closure (under the gate's lock).</summary>
        public int Waiters { get; set; }

        /// <summary>The closure ended and let its waiters through (under the gate's lock).</summary>
        public bool IsOpen { get; set; }
    }

    /// <summary>One commit's way through the gate; disposing it says the commit reached every node.</summary>
    public readonly struct Pass : IDisposable
    {
        private readonly WriteGate? _gate;

        internal Pass(WriteGate gate) => _gate = gate;

        public void Dispose() => _gate?.Exit();
    }

    /// <summary>The gate held closed; disposing it opens the gate (once), or leaves a shared closure.</summary>
    public sealed class Closure : IDisposable
    {
        private WriteGate? _gate;
        private readonly long _closedAt;
        private readonly bool _shared;

        internal Closure(WriteGate gate, long closedAt, bool shared)
        {
            _gate = gate;
            _closedAt = closedAt;
            _shared = shared;
        }

        public void Dispose()
        {
            var gate = Interlocked.Exchange(ref _gate, null);
            if (gate is null)
            {
                return;
            }

            if (_shared)
            {
                gate.Leave(_closedAt);
            }
            else
            {
                gate.Open(_closedAt);
            }
        }
    }
}

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
/// Commits themselves take no locks, so draining them always ends. Open, a pass costs two interlocked operations.
/// </remarks>
internal sealed class WriteGate
{
    private int _owned; // 1 while a closer holds the gate (closing or closed)
    private readonly TimeProvider _time;
    private volatile TaskCompletionSource? _closed; // set while closed; completed when the gate opens again
    private volatile TaskCompletionSource? _drained; // completed when the last pass in flight is back
    private int _inFlight;
    private long _commits;

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
        while (true)
        {
            if (_closed is { } closed)
            {
                await closed.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
            }

            Interlocked.Increment(ref _inFlight);
            if (_closed is null)
            {
                Interlocked.Increment(ref _commits);
                Waits.Record((long)_time.GetElapsedTime(started).TotalMicroseconds);
                return new Pass(this);
            }

            Exit();
        }
    }

    /// <summary>
    /// Closes the gate and waits until no commit is in flight, for at most <paramref name="timeout"/>. On success the
    /// caller owns the closed gate and must dispose the returned <see cref="Closure"/> to open it; on timeout the gate
    /// is open again and the outcome says how many commits were still in flight.
    /// </summary>
    public async Task<GateClosing> CloseAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var started = _time.GetTimestamp();
        while (Interlocked.CompareExchange(ref _owned, 1, 0) != 0)
        {
            // Another check or recovery holds it: closures are rare and short, so polling is enough.
            if (_time.GetElapsedTime(started) >= timeout)
            {
                return GateClosing.Busy(timeout);
            }

            await Task.Delay(TimeSpan.FromMilliseconds(5), _time, cancellationToken).ConfigureAwait(false);
        }

        _closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        try
        {
            await DrainAsync(started, timeout, cancellationToken).ConfigureAwait(false);
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

        return GateClosing.Closed(new Closure(this, started), _time.GetElapsedTime(started));
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

    private void Open(long closedAt)
    {
        Closures.Record((long)_time.GetElapsedTime(closedAt).TotalMicroseconds);
        var closed = _closed;
        _closed = null;
        _drained = null;
        closed?.TrySetResult();
        Volatile.Write(ref _owned, 0);
    }

    private void Exit()
    {
        if (Interlocked.Decrement(ref _inFlight) == 0 && _closed is not null)
        {
            _drained?.TrySetResult();
        }
    }

    /// <summary>One commit's way through the gate; disposing it says the commit reached every node.</summary>
    public readonly struct Pass : IDisposable
    {
        private readonly WriteGate? _gate;

        internal Pass(WriteGate gate) => _gate = gate;

        public void Dispose() => _gate?.Exit();
    }

    /// <summary>The gate held closed; disposing it opens the gate (once).</summary>
    public sealed class Closure : IDisposable
    {
        private WriteGate? _gate;
        private readonly long _closedAt;

        internal Closure(WriteGate gate, long closedAt)
        {
            _gate = gate;
            _closedAt = closedAt;
        }

        public void Dispose()
        {
            var gate = Interlocked.Exchange(ref _gate, null);
            gate?.Open(_closedAt);
        }
    }
}

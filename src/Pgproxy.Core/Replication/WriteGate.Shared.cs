namespace Pgproxy.Core.Replication;

/// <summary>
/// Shared closures, for the first queries of REPEATABLE READ and SERIALIZABLE transactions
/// (WritePath.ShareSnapshotAsync), which each need only that no commit is in flight while every node takes its
/// snapshot, not the gate to itself. One exclusive closure per transaction made them start one at a time, each
/// paying a drain and a round trip while the others waited, so a workload of such transactions (TransactionScope's
/// default is SERIALIZABLE) ran at the rate of closures. Takers that come while a shared closure is still draining join it and take their snapshots under it
/// together; the gate opens when the last of them leaves. Once drained, the closure admits no one more: later takers
/// wait for it to open (when the commits held meanwhile go through first) and form the next one, so commits wait at
/// most one closure and its drain.
/// </summary>
internal sealed partial class WriteGate
{
    private Forming? _forming; // under _lock: the shared closure still draining, which takers join
    private int _members; // under _lock: holders of the current shared closure

    /// <summary>
    /// Closes the gate, or joins the shared closure still draining, and waits until no commit is in flight, for at most
    /// <paramref name="timeout"/> in all. On success the caller must dispose the returned <see cref="Closure"/>; the
    /// gate opens when every member of the closure has. An exclusive closer's closure is waited out.
    /// </summary>
    public async Task<GateClosing> CloseSharedAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var started = _time.GetTimestamp();
        Forming lead;
        while (true)
        {
            Forming? joined = null;
            Task opened;
            lock (_lock)
            {
                if (!_owned)
                {
                    _owned = true;
                    _closed = new Closed();
                    _forming = lead = new Forming(started);
                    _members = 1;
                    break;
                }

                if (_forming is { } forming)
                {
                    _members++;
                    joined = forming;
                }

                opened = _closed!.Opened.Task;
            }

            if (joined is not null)
            {
                return await joined.Drained.Task.ConfigureAwait(false) is { } failure
                    ? new GateClosing(null, _time.GetElapsedTime(started), failure)
                    : GateClosing.Closed(new Closure(this, joined.ClosedAt, shared: true),
                        _time.GetElapsedTime(started));
            }

            if (!await WaitUntilOpenAsync(opened, started, timeout, cancellationToken))
            {
                return GateClosing.Busy(timeout);
            }
        }

        return await LeadAsync(lead, timeout, cancellationToken);
    }

    /// <summary>The first taker of a shared closure drains it, then tells those who joined meanwhile.</summary>
    private async Task<GateClosing> LeadAsync(Forming forming, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var started = forming.ClosedAt;
        GateClosing? failure;
        try
        {
            failure = await DrainOrOpenAsync(started, timeout, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            forming.Drained.TrySetResult("the write gate's closing was cancelled");
            throw;
        }

        if (failure is not null)
        {
            forming.Drained.TrySetResult(failure.Failure); // Open already reset the closure and its members
            return failure;
        }

        lock (_lock)
        {
            _forming = null; // drained: the closure admits no one more
        }

        forming.Drained.TrySetResult(null);
        return GateClosing.Closed(new Closure(this, started, shared: true), _time.GetElapsedTime(started));
    }

    /// <summary>A member of a shared closure is done; the last one opens the gate.</summary>
    private void Leave(long closedAt)
    {
        lock (_lock)
        {
            if (--_members > 0)
            {
                return;
            }
        }

        Open(closedAt); // drained closures admit no one, so nobody joins between the lock and here
    }

    /// <summary>A shared closure being drained: its members wait for the outcome (null: drained).</summary>
    private sealed class Forming(long closedAt)
    {
        public TaskCompletionSource<string?> Drained { get; } =
            new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>When the leader closed the gate (the closure's length is measured from it).</summary>
        public long ClosedAt { get; } = closedAt;
    }
}

using Pgproxy.Core.Replication;

namespace Pgproxy.Core.Tests.Replication;

/// <summary>
/// Shared closures of the write gate (WriteGate.CloseSharedAsync), which the first queries of REPEATABLE READ and
/// SERIALIZABLE transactions take: takers that come while one drains join it, the gate opens when the last leaves,
/// a drained closure admits no one more, exclusive closers (checks, recovery, attach) still have the gate alone, and
/// commits held by one closure go through before the next one finishes draining.
/// </summary>
public sealed class WriteGateSharedTests
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Takers_that_come_while_a_closure_drains_join_it_and_the_last_to_leave_opens_the_gate()
    {
        var gate = new WriteGate();
        var inFlight = await gate.EnterAsync();

        var first = gate.CloseSharedAsync(Long);
        var second = gate.CloseSharedAsync(Long);
        await Task.Delay(50);
        Assert.False(first.IsCompleted); // the commit in flight holds both
        Assert.False(second.IsCompleted);
        inFlight.Dispose();
        var a = (await first).Closure!;
        var b = (await second.WaitAsync(Long)).Closure!;

        a.Dispose();
        Assert.True(gate.IsClosed); // b still takes its snapshots
        var held = gate.EnterAsync().AsTask();
        await Task.Delay(20);
        Assert.False(held.IsCompleted);
        b.Dispose();
        Assert.False(gate.IsClosed);
        (await held.WaitAsync(Long)).Dispose();
        Assert.Equal(1, gate.Closures.Snapshot().Count);
    }

    [Fact]
    public async Task A_drained_closure_admits_no_one_and_the_commits_it_held_go_through_before_the_next_drains()
    {
        var gate = new WriteGate();
        var first = (await gate.CloseSharedAsync(Long)).Closure!;
        var held = gate.EnterAsync().AsTask();
        var next = gate.CloseSharedAsync(Long);
        await Task.Delay(50);
        Assert.False(next.IsCompleted); // not a member of the drained closure: it waits for it to open

        first.Dispose();
        var pass = await held.WaitAsync(Long); // let through as the gate opened, though the next closure started
        await Task.Delay(50);
        Assert.False(next.IsCompleted); // and that closure drains it
        Assert.True(gate.IsClosed);
        pass.Dispose();
        (await next.WaitAsync(Long)).Closure!.Dispose();
        Assert.False(gate.IsClosed);
        Assert.Equal(1, gate.Commits);
    }

    [Fact]
    public async Task An_exclusive_closer_waits_for_the_shared_closure_and_takers_wait_for_it()
    {
        var gate = new WriteGate();
        var shared = (await gate.CloseSharedAsync(Long)).Closure!;

        var exclusive = gate.CloseAsync(Long);
        await Task.Delay(50);
        Assert.False(exclusive.IsCompleted);
        shared.Dispose();
        var check = (await exclusive.WaitAsync(Long)).Closure!;

        var taker = gate.CloseSharedAsync(Long);
        await Task.Delay(50);
        Assert.False(taker.IsCompleted); // no joining an exclusive closure
        var busy = await gate.CloseSharedAsync(TimeSpan.FromMilliseconds(50));
        Assert.Null(busy.Closure);
        Assert.Contains("held closed by another", busy.Failure, StringComparison.Ordinal);
        check.Dispose();
        (await taker.WaitAsync(Long)).Closure!.Dispose();
        Assert.False(gate.IsClosed);
    }

    [Fact]
    public async Task When_the_drain_times_out_every_member_is_told_and_the_gate_opens()
    {
        var gate = new WriteGate();
        using var stuck = await gate.EnterAsync();

        var leader = gate.CloseSharedAsync(TimeSpan.FromMilliseconds(100));
        var member = gate.CloseSharedAsync(Long);
        var led = await leader;
        var joined = await member.WaitAsync(Long);

        Assert.Null(led.Closure);
        Assert.Null(joined.Closure);
        Assert.Contains("still in flight", joined.Failure, StringComparison.Ordinal);
        Assert.False(gate.IsClosed);
    }

    [Fact]
    public async Task A_waiting_commit_that_is_cancelled_takes_no_pass_with_it()
    {
        var gate = new WriteGate();
        var closure = (await gate.CloseSharedAsync(Long)).Closure!;
        using var cancel = new CancellationTokenSource();
        var waiting = gate.EnterAsync(cancel.Token).AsTask();

        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        closure.Dispose();

        Assert.Equal(0, gate.InFlight);
        (await gate.CloseAsync(Long)).Closure!.Dispose(); // nothing left in flight to drain
    }

    [Fact]
    public async Task Committers_racing_shared_and_exclusive_closers_never_commit_while_it_is_closed()
    {
        var gate = new WriteGate();
        var closedNow = 0;
        var violations = 0;
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(1));
        var committers = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                using (await gate.EnterAsync())
                {
                    if (Volatile.Read(ref closedNow) > 0)
                    {
                        Interlocked.Increment(ref violations);
                    }
                }

                await Task.Yield(); // an open gate completes at once: let the closers' tasks run too
            }
        })).ToList();
        var closers = Enumerable.Range(0, 4).Select(i => Task.Run(async () =>
        {
            var closures = 0;
            while (!stop.IsCancellationRequested)
            {
                var closing = i == 0 ? await gate.CloseAsync(Long) : await gate.CloseSharedAsync(Long);
                Interlocked.Increment(ref closedNow);
                await Task.Delay(1);
                Interlocked.Decrement(ref closedNow);
                closing.Closure!.Dispose();
                closures++;
            }

            return closures;
        })).ToList();

        var closed = await Task.WhenAll(closers);
        await Task.WhenAll(committers);
        Assert.Equal(0, violations);
        Assert.All(closed, n => Assert.True(n > 0));
        Assert.True(gate.Commits > 0);
        Assert.Equal(0, gate.InFlight);
    }
}

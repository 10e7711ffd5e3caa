using System.Diagnostics;
using Pgproxy.Core.Replication;

namespace Pgproxy.Core.Consistency;

/// <summary>
/// One point in time across nodes (DESIGN §5): the write gate is closed, the commits in flight finish on every
/// node, every snapshot is taken, the gate opens. Nothing commits on any node meanwhile, so each snapshot holds
/// exactly the transactions the others hold — a difference found there is a real one, not a commit caught half way.
/// The snapshots' settings go out before the gate closes: the pause is two round trips at most.
/// </summary>
internal static class CommonCut
{
    /// <summary>Takes the cut on <paramref name="snapshots"/>; on failure the gate is open again and nothing is held.</summary>
    public static async Task<CutOutcome> TakeAsync(WriteGate gate, IReadOnlyList<BackendSnapshot> snapshots,
        TimeSpan timeout, CancellationToken cancellationToken)
    {
        await Task.WhenAll(snapshots.Select(s => s.QueryAsync(BackendSnapshot.Settings, cancellationToken)));
        var started = Stopwatch.GetTimestamp();
        var closing = await gate.CloseAsync(timeout, cancellationToken);
        if (closing.Closure is not { } closure)
        {
            return new CutOutcome(false, Stopwatch.GetElapsedTime(started), closing.Failure);
        }

        long commits;
        using (closure)
        {
            commits = gate.Commits;
            // A node that does not answer must not hold every client's commits: the same bound as the drain.
            using var bound = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            bound.CancelAfter(timeout);
            try
            {
                await Task.WhenAll(snapshots.Select(s => s.QueryAsync(BackendSnapshot.Begin, bound.Token)));
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                return new CutOutcome(false, Stopwatch.GetElapsedTime(started),
                    $"a node did not start its snapshot within {timeout.TotalMilliseconds:0} ms");
            }
        }

        return new CutOutcome(true, Stopwatch.GetElapsedTime(started), null, commits);
    }
}


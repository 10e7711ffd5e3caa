using System.Diagnostics.CodeAnalysis;

namespace Pgproxy.Core.Backends;

/// <summary>
/// The moment a down node joins again (a recovery's cutover) must come after the last sequence value main drew for a
/// session that lacks the node. Sequences are not transactional: a session connected while the node was down whose
/// INSERT runs on main during the cutover (statements are not held by the write gate, only commits) draws there and
/// nowhere else; rolled back at its commit (the session cannot write to the node, 57P01), the draw stays. Copied to
/// the node before that draw, the sequence is behind main's from then on, and every row that sessions insert on both
/// nodes gets a different id on each (three such writers: node 1's sequence 3 behind, the tables apart).
/// </summary>
/// <remarks>
/// A session that lacks a configured node counts each write while it runs on main (<see cref="EnterWriteAsync"/>);
/// one that starts while a node is joining waits until the join is over, then goes on (the node stayed down) or ends
/// (it was attached). The cutover marks the node joining (<see cref="Begin"/>) and waits until no counted write runs:
/// from then on no session without the node draws, and main's sequences are final for the copy. Both sides make an
/// interlocked write before they read the other's, so either the cutover sees the write or the write sees the join.
/// A session with every node counts nothing: one comparison per write while all nodes are up.
/// </remarks>
[SuppressMessage("Reliability", "CA1001", Justification =
    "Lives as long as the node set; a source replaced after a join holds no timer or handle.")]
internal sealed class NodeJoin
{
    public const int NoNode = -1;

    private int _joining = NoNode;
    private int _writesOnMain;
    private TaskCompletionSource _ended = Completed();
    private CancellationTokenSource _locksReleased = new();

    /// <summary>The node whose cutover is under way, or <see cref="NoNode"/>.</summary>
    public int JoiningNodeId => Volatile.Read(ref _joining);

    /// <summary>Writes of sessions without some node now running on main.</summary>
    public int WritesOnMain => Volatile.Read(ref _writesOnMain);

    /// <summary>
    /// Cancelled when the cutover gives up waiting for a counted write (<see cref="ReleaseLocks"/>): a commit of a
    /// session without some node waits at the closed gate with it. That commit could only fail once the node is
    /// attached, and the locks it holds may be what the write waits for (a mix of autocommit INSERTs and
    /// transactions inserting into one serial table: one cutover in ten waited its whole timeout): woken, the
    /// session ends and its transaction rolls back.
    /// </summary>
    public CancellationToken LocksReleased => Volatile.Read(ref _locksReleased).Token;

    /// <summary>
    /// Counts a write on main until the scope ends, when the session lacks a node (else counts nothing); while a
    /// node is joining, first waits until the join is over.
    /// </summary>
    public async ValueTask<WriteScope> EnterWriteAsync(bool sessionLacksANode)
    {
        if (!sessionLacksANode)
        {
            return default;
        }

        while (true)
        {
            Interlocked.Increment(ref _writesOnMain);
            if (Volatile.Read(ref _joining) == NoNode)
            {
                return new WriteScope(this);
            }

            var ended = Volatile.Read(ref _ended).Task; // read after the mark: Begin replaces it before setting that
            Interlocked.Decrement(ref _writesOnMain);
            await ended.ConfigureAwait(false);
        }
    }

    /// <summary>Marks <paramref name="nodeId"/> joining: writes of sessions without a node wait from now on.</summary>
    public void Begin(int nodeId)
    {
        Volatile.Write(ref _ended, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        Interlocked.Exchange(ref _joining, nodeId);
    }

    /// <summary>Wakes the commits of sessions without a node that wait at the closed gate (see <see cref="LocksReleased"/>).</summary>
    public void ReleaseLocks() => _ = Volatile.Read(ref _locksReleased).CancelAsync(); // their continuations, not ours

    /// <summary>The cutover is over, the node attached or not: the writes that waited go on, or end if it was.</summary>
    public void End()
    {
        Interlocked.Exchange(ref _joining, NoNode);
        if (Volatile.Read(ref _locksReleased).IsCancellationRequested)
        {
            Volatile.Write(ref _locksReleased, new CancellationTokenSource());
        }

        Volatile.Read(ref _ended).TrySetResult();
    }

    /// <summary>Waits until no counted write runs on main; false when one still does after <paramref name="timeout"/>.</summary>
    public async Task<bool> WaitForWritesAsync(TimeSpan timeout, TimeProvider time, CancellationToken ct)
    {
        var started = time.GetTimestamp();
        while (Volatile.Read(ref _writesOnMain) > 0)
        {
            if (time.GetElapsedTime(started) >= timeout)
            {
                return false;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(1), time, ct);
        }

        return true;
    }

    private static TaskCompletionSource Completed()
    {
        var done = new TaskCompletionSource();
        done.SetResult();
        return done;
    }

    /// <summary>One counted write on main; the default scope counts nothing.</summary>
    public readonly struct WriteScope(NodeJoin? join) : IDisposable
    {
        public void Dispose()
        {
            if (join is not null)
            {
                Interlocked.Decrement(ref join._writesOnMain);
            }
        }
    }
}

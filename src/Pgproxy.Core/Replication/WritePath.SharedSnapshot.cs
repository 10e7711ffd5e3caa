namespace Pgproxy.Core.Replication;

/// <summary>
/// The snapshot of a REPEATABLE READ or SERIALIZABLE transaction, taken on every node at one point. PostgreSQL
/// takes it at the transaction's first query; main runs that query at once, the others only when the transaction's
/// first write reaches them (at its COMMIT when it is held back). Anything committed in between would be in the
/// others' snapshot and not in main's, and a write that reads (INSERT … SELECT, UPDATE … FROM) would write
/// different rows there, silently. So before the first query of such a transaction every node runs one of
/// pgproxy's own while the write gate is closed: no commit lands on any node meanwhile, so every node's snapshot
/// holds the same transactions, as the consistency check's common cut does (DESIGN §5).
/// </summary>
internal sealed partial class WritePath
{
    /// <summary>How long a transaction's first query keeps trying to close the gate (a check or a recovery may
    /// hold it a while) before it fails with 40001, which clients of such transactions retry.</summary>
    private static readonly TimeSpan ShareSnapshotPatience = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Takes the transaction's snapshot on every live node with the write gate closed (the client's deferred BEGIN
    /// goes first). Null once taken; else why the gate could not be closed, and nothing ran.
    /// </summary>
    public async Task<string?> ShareSnapshotAsync()
    {
        var started = _time.GetTimestamp();
        while (true)
        {
            var closing = await _gate.CloseSharedAsync(WriteGateTimeout);
            if (closing.Closure is { } closure)
            {
                using (closure)
                {
                    await TakeSnapshotsAsync(begin: null);
                }

                return null;
            }

            if (_time.GetElapsedTime(started) >= ShareSnapshotPatience)
            {
                return closing.Failure;
            }
        }
    }

    /// <summary>How long a closer waits for the write gate (write_gate_timeout).</summary>
    private TimeSpan WriteGateTimeout => TimeSpan.FromMilliseconds(Math.Max(_options().WriteGateTimeout, 1));

    /// <summary>
    /// Every live node runs the first query of its transaction, with the gate closed: the client's deferred BEGIN,
    /// or pgproxy's own <paramref name="begin"/> (WritePath.WriteSnapshot), goes first.
    /// </summary>
    private async Task TakeSnapshotsAsync(byte[]? begin)
    {
        var main = _links.Main;
        var others = _links.OthersArray(main);
        foreach (var link in _links.All)
        {
            if (SessionLinks.IsLive(link))
            {
                link.FlushPendingBegin();
                if (begin is not null)
                {
                    link.InjectBegin(begin);
                }

                link.Inject(InjectedQueries.TakeSnapshot, InjectedReply.QueryCycle);
            }
        }

        foreach (var link in _links.All)
        {
            link.SwallowedError = null;
        }

        await FlushOthersAsync(others);
        await FlushLinkAsync(main);
        await _replies.ReadAsync(main, forward: false, summarize: false, ReplyStop.UntilDrained);
        await DrainOthersAsync(others);
        foreach (var link in _links.All)
        {
            var fields = link.SwallowedError is { } error
                ? Protocol.Backend.ErrorResponseMessage.Parse(error.AsSpan(5))
                : null;
            link.FailedSnapshot = fields is null ? null : (fields.SqlState, fields.Message);
        }
    }

    /// <summary>
    /// The error of timing another node failed a write with, or null: its own (<see cref="Divergence.IsOfTiming"/>),
    /// or, when it answered 25P02, the one its snapshot query met just before: a cancel that lands on pgproxy's
    /// <c>SELECT 1</c> there fails the node's transaction, and the write then finds it aborted.
    /// </summary>
    private static (string SqlState, string Message)? TimingError(NodeLink other)
    {
        var summary = other.Summary;
        if (Divergence.IsOfTiming(summary.ErrorState))
        {
            return (summary.ErrorState!, summary.ErrorMessage ?? "");
        }

        return summary.ErrorState == "25P02" && other.FailedSnapshot is { } failed
                                             && Divergence.IsOfTiming(failed.SqlState)
            ? failed
            : null;
    }
}

using Microsoft.Extensions.Logging;
using Pgproxy.Core.Logging;
using Pgproxy.Protocol.Messages;

namespace Pgproxy.Core.Replication;

/// <summary>
/// An autocommit write that reads rows besides those it changes (<see cref="Routing.StatementFlags.ReadsOtherRows"/>:
/// <c>UPDATE q SET n = n + 1 WHERE id = (SELECT max(id) FROM q)</c>, <c>INSERT … SELECT</c>). Under READ COMMITTED
/// main reads them in its snapshot and each other node, a round trip later, in its own; every node commits a
/// transaction at its own moment, so a commit in flight is in one snapshot and not in the other, and the write
/// changes other rows there, silently (measured: 15 rows of 3,604 apart after 10 s of eight clients, row counts
/// equal). So its internal transaction is REPEATABLE READ and takes its snapshot on every node at one point, behind
/// the write gate, as the client's own strict transactions do (<see cref="ShareSnapshotAsync"/>). Where PostgreSQL
/// would reread a row that changed meanwhile (READ COMMITTED), it now fails with 40001: the write is rolled back
/// everywhere, its answer dropped unseen, and runs again on a new snapshot.
/// </summary>
internal sealed partial class WritePath
{
    /// <summary>
    /// True while the internal transaction of the write being run was begun, REPEATABLE READ, with one snapshot on
    /// every node: the write's copies carry no BEGIN of their own.
    /// </summary>
    public bool InternalBegun { get; private set; }

    /// <summary>
    /// Begins the internal transaction on every live node and takes its snapshot there, with the write gate
    /// closed (shared with any other such write or strict transaction starting). When the gate does not close in
    /// time (a check holds it), nothing is begun and the write runs READ COMMITTED, as before. Returns the error a
    /// node met beginning it, if any: then nothing stays begun anywhere, and the write must not run.
    /// </summary>
    private async Task<(string SqlState, string Message)?> ShareWriteSnapshotAsync()
    {
        var closing = await _gate.CloseSharedAsync(WriteGateTimeout);
        if (closing.Closure is not { } closure)
        {
            return null;
        }

        using (closure)
        {
            await TakeSnapshotsAsync(InjectedQueries.BeginRepeatableRead);
        }

        if (Array.Find(_links.All, l => SessionLinks.IsLive(l) && l.FailedSnapshot is not null) is not { } failed)
        {
            InternalBegun = true;
            return null;
        }

        // A cancel (the client's, which pgproxy sends to every node) landed on pgproxy's BEGIN or SELECT 1 there: that
        // node is outside the transaction, where the write would commit at once, or in a failed one. Measured: a
        // cancel on main's BEGIN let main run the write alone in autocommit while node 1 ran it in its snapshot. So
        // the client's cancel wins, as in PostgreSQL: every node that began rolls back, and the write fails with it.
        var begun = Array.FindAll(_links.All, l => SessionLinks.IsLive(l) && l.Status != TransactionStatus.Idle);
        foreach (var link in begun)
        {
            link.Inject(InjectedQueries.Rollback, InjectedReply.QueryCycle);
        }

        var main = _links.Main;
        var others = _links.OthersArray(main);
        await FlushOthersAsync(others);
        await FlushLinkAsync(main);
        await _replies.ReadAsync(main, forward: false, summarize: false, ReplyStop.UntilDrained);
        await DrainOthersAsync(others);
        return failed.FailedSnapshot;
    }

    /// <summary>
    /// One of <paramref name="nodes"/> refused a write in a shared snapshot for a row changed since: main, or another
    /// node where a commit landed after its snapshot in another order than on main. It may run again.
    /// </summary>
    private bool SerializationFailed(IEnumerable<NodeLink> nodes, int run) =>
        InternalBegun && run < MaxSerializationRuns && _answer.IsHolding
        && nodes.Any(n => !n.Detached && n.Summary.ErrorState == "40001");

    /// <summary>Rolls the write back on every node for <see cref="SerializationFailed"/>, counted and logged.</summary>
    private async Task<Rerun> RunAgainForSerializationAsync(NodeLink main, NodeLink[] others, int run)
    {
        Log.SerializationRanAgain(_logger, run);
        _reruns.CountSerializationRanAgain();
        await RollBackToRunAgainAsync(main, others);
        return Rerun.Serialization;
    }

    /// <summary>The internal transaction ended on every node.</summary>
    private void ForgetInternalBegin() => InternalBegun = false;

    private static partial class Log
    {
        [LoggerMessage(EventIds.SerializationRanAgain, LogLevel.Debug,
            "an autocommit write in a shared snapshot met a row changed since (40001, run {Run}): rolled back " +
            "everywhere, it runs again")]
        public static partial void SerializationRanAgain(ILogger logger, int run);
    }
}

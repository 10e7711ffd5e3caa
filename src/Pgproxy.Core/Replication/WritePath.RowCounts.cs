using Microsoft.Extensions.Logging;
using Pgproxy.Core.Logging;

namespace Pgproxy.Core.Replication;

internal sealed partial class WritePath
{
    /// <summary>
    /// How many runs an autocommit write gets while it races a commit: its nodes' row counts differ (RowCountsDiffer)
    /// or its shared snapshot meets a row changed since (SerializationFailed).
    /// </summary>
    internal const int MaxRaceRuns = 3;

    /// <summary>
    /// How many runs an autocommit write gets while its shared snapshot keeps meeting rows changed since (40001).
    /// More than for differing row counts: a node whose rows really differ differs in every run, and its verdict
    /// should not wait, but a 40001 is only a race, which PostgreSQL's READ COMMITTED would never have failed. On
    /// 10 rows updated by 8 clients, 447 of 1,096 such writes still failed after 3 runs.
    /// </summary>
    internal const int MaxSerializationRuns = 10;

    /// <summary>
    /// After an autocommit write ran on every node, before anything commits: true when it must be rolled back
    /// everywhere and run again because some node affected another number of rows than main, and this was not its
    /// last run. Such a difference is most often a race, not a node whose data differs: every node commits a
    /// transaction at its own moment (two_phase: main first; one_phase: the others first), so a write that main ran
    /// just before a commit landed there may reach another node just after it landed there, and a WHERE on a
    /// column that commit changed matches another row there (<c>DELETE … WHERE id = 1 AND n &gt; 3</c> beside an
    /// upsert that increments n). Run again a round trip later, the commit has landed everywhere and the counts
    /// agree; without the second run the client got XX001 for a write that did nothing wrong, or, with
    /// <c>failover_if_affected_tuples_mismatch</c>, a healthy node was taken out. A node whose rows really differ
    /// differs in every run, and after the last one the settings decide as before. Only a write whose answer the
    /// client has not seen (still held), that may run twice (<see cref="IFannedWrite.MayRunAgain"/>) and that is
    /// plain DML (<see cref="IFannedWrite.IsPlainDml"/>: it calls no function, whose effects outside the transaction
    /// a second run would repeat, and draws no sequence through insert_lock) runs again.
    /// </summary>
    private bool RowCountsDiffer(IFannedWrite write, NodeLink main, NodeLink[] others, int run)
    {
        if (!write.MayRunAgain || !write.IsPlainDml || !_answer.IsHolding)
        {
            return false;
        }

        var apart = others.Where(o => !o.Detached && o.Summary.DiffersOnlyInRowCounts(main.Summary)).ToList();
        if (apart.Count == 0)
        {
            return false;
        }

        if (run >= MaxRaceRuns)
        {
            _reruns.CountDifferedEveryRun(); // the settings decide, as for any mismatch (and log it)
            return false;
        }

        _reruns.CountRanAgain();
        var answers = string.Join(", ", apart.Select(o => $"node {o.NodeId} \"{o.Summary}\""));
        Log.RowCountsRanAgain(_logger, run, main.NodeId, main.Summary.ToString(), answers);
        return true;
    }

    /// <summary>
    /// Before a write runs again for its row counts: waits until the commits in flight have landed on every node,
    /// so that the race which set the counts apart is over. A shared closure of the write gate drains them and
    /// opens at once (new commits wait only for that drain). The write itself holds nothing meanwhile: its
    /// internal transaction is rolled back everywhere. Should the gate not close in time (a check holds it), the
    /// write runs again all the same.
    /// </summary>
    private async Task AwaitCommitsInFlightAsync()
    {
        var closing = await _gate.CloseSharedAsync(WriteGateTimeout);
        closing.Closure?.Dispose();
    }

    private static partial class Log
    {
        [LoggerMessage(EventIds.RowCountsRanAgain, LogLevel.Debug,
            "an autocommit write affected other numbers of rows on some node (run {Run}: main node {MainNodeId} " +
            "\"{MainResult}\", {Answers}): rolled back everywhere, it runs again")]
        public static partial void RowCountsRanAgain(ILogger logger, int run, int mainNodeId, string mainResult,
            string answers);
    }
}

using System.IO.Pipelines;
using Microsoft.Extensions.Logging;
using Pgproxy.Core.Config;
using Pgproxy.Core.Logging;

namespace Pgproxy.Core.Replication;

/// <summary>
/// The write path's ordering and commit (DESIGN §3): the others get a statement only once main has answered it
/// (the session sends it), their answers are read within replication_answer_timeout and compared with main's
/// (<see cref="CompareWithMain"/>), or owed while the client's transaction goes on (<see cref="Defer"/>,
/// <see cref="SettleAsync"/>); transactions end others first and main last, through the write gate, in two phases
/// when replication_commit says so (<see cref="TwoPhase"/>). A node that fails or diverges is taken out here.
/// The session decides what to send and answers the client; this type decides the order and the outcome.
/// </summary>
internal sealed partial class WritePath : ICommitChannel
{
    private readonly SessionLinks _links;
    private readonly ReplyReader _replies;
    private readonly AnswerDeadline _deadline;
    private readonly HeldAnswer _answer;
    private readonly PipeWriter _client;
    private readonly Func<ProxyOptions> _options;
    private readonly WriteGate _gate;
    private readonly CatalogWriteOrder _catalogWrites;
    private readonly WriteReruns _reruns;
    private readonly Action _throwIfANodeWasAttached;
    private readonly ClientState _state;
    private readonly MainCatalog _catalog;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    /// <param name="links">The session's connections.</param>
    /// <param name="replies">Reads the nodes' replies.</param>
    /// <param name="deadline">replication_answer_timeout.</param>
    /// <param name="answer">Main's answer while the others' can still fail the statement.</param>
    /// <param name="client">The client's output, for a node's error that answers a commit.</param>
    /// <param name="options">The settings in force (reload swaps them).</param>
    /// <param name="twoPhase">replication_commit as in force, and its counters.</param>
    /// <param name="gate">Where commits wait while a check or a recovery takes its common cut.</param>
    /// <param name="catalogWrites">Where autocommit DDL waits its turn, so every node draws OIDs in one order.</param>
    /// <param name="reruns">Counts autocommit writes run again for their row counts.</param>
    /// <param name="throwIfANodeWasAttached">Ends the session when a node it has no link to came up.</param>
    /// <param name="state">The client's transaction state.</param>
    /// <param name="catalog">What main's catalog says (forgotten when a write changes functions).</param>
    /// <param name="time">Times main's answer, which bounds how long the others may take.</param>
    /// <param name="logger">The session's logger.</param>
    public WritePath(SessionLinks links, ReplyReader replies, AnswerDeadline deadline, HeldAnswer answer,
        PipeWriter client, Func<ProxyOptions> options, TwoPhaseCommitState twoPhase, WriteGate gate,
        CatalogWriteOrder catalogWrites, WriteReruns reruns, Action throwIfANodeWasAttached, ClientState state,
        MainCatalog catalog, TimeProvider time, ILogger logger)
    {
        _links = links;
        _replies = replies;
        _deadline = deadline;
        _answer = answer;
        _client = client;
        _options = options;
        _gate = gate;
        _catalogWrites = catalogWrites;
        _reruns = reruns;
        _throwIfANodeWasAttached = throwIfANodeWasAttached;
        _state = state;
        _catalog = catalog;
        _time = time;
        _logger = logger;
        TwoPhase = new TwoPhaseCommit(this, replies, twoPhase, options, logger);
        _internalCommit = new InternalEnd(this, commit: true);
        _internalRollback = new InternalEnd(this, commit: false);
    }

    /// <summary>The commit protocol, and what it knows of the client's transaction.</summary>
    public TwoPhaseCommit TwoPhase { get; }

    /// <summary>Writes what is buffered for a node; a failure names the node so the session can take it out.</summary>
    public static async ValueTask FlushLinkAsync(NodeLink link)
    {
        try
        {
            await link.Output.FlushAsync();
        }
        catch (Exception e) when (NodeFailures.IsNodeFailure(e) && e is not NodeFailureException)
        {
            throw new NodeFailureException(link,
                NodeFailures.LostReason(link, $"writing to backend node {link.NodeId} failed: {e.Message}"), e);
        }
    }

    /// <summary>Flushes every other node; a node that fails here is taken out, the session carries on.</summary>
    public async Task FlushOthersAsync(NodeLink[] others)
    {
        foreach (var other in others)
        {
            if (!other.Detached)
            {
                await FlushOrDegenerateAsync(other);
            }
        }
    }

    /// <summary>Flushes an other node; one that fails here is taken out (false) and the session carries on.</summary>
    public async ValueTask<bool> FlushOrDegenerateAsync(NodeLink other)
    {
        try
        {
            await other.Output.FlushAsync();
            return true;
        }
        catch (Exception e) when (NodeFailures.IsNodeFailure(e))
        {
            _links.Degenerate(other, "write failed: " + e.Message);
            return false;
        }
    }

    /// <summary>
    /// Reads every other node's answer (they ran in parallel, so this waits for the slowest), each within
    /// <paramref name="mainTime"/> + <c>replication_answer_timeout</c> from now (see BeginAnswerBound).
    /// </summary>
    public async Task ReadOthersAsync(NodeLink main, NodeLink[] others, TimeSpan mainTime)
    {
        var bound = _deadline.Begin(main, mainTime);
        try
        {
            foreach (var other in others)
            {
                if (!other.Detached)
                {
                    await ReadAnswerAsync(other);
                }
            }
        }
        finally
        {
            bound.Dispose();
        }
    }

    /// <summary>
    /// Reads one other node's answer to a replicated request into its summary; a node that fails here is taken
    /// out (false) and the session carries on.
    /// </summary>
    public async Task<bool> ReadAnswerAsync(NodeLink other)
    {
        try
        {
            while (await _replies.ReadAsync(other, forward: false, summarize: true, ReplyStop.UntilReady) ==
                   ReplyEnd.CopyIn)
            {
                // Its CopyInResponse: the data already went out with main's.
            }

            return true;
        }
        catch (Exception e) when (NodeFailures.IsNodeFailure(e))
        {
            _links.Degenerate(other, "read failed: " + e.Message);
            return false;
        }
    }

    /// <summary>
    /// Reads the others' answers to what pgproxy injected (their COMMIT, ROLLBACK or raise, which they run before
    /// main or alongside it): within <c>replication_answer_timeout</c> from now, session main excepted. A node that
    /// fails here is taken out and the session carries on.
    /// </summary>
    public async Task DrainOthersAsync(NodeLink[] others)
    {
        var bound = _deadline.Begin(_links.MainOrNull, TimeSpan.Zero);
        try
        {
            foreach (var other in others)
            {
                if (other.Detached)
                {
                    continue;
                }

                try
                {
                    await _replies.ReadAsync(other, forward: false, summarize: false, ReplyStop.UntilDrained);
                }
                catch (Exception e) when (NodeFailures.IsNodeFailure(e))
                {
                    _links.Degenerate(other, "read failed: " + e.Message);
                }
            }
        }
        finally
        {
            bound.Dispose();
        }
    }

    /// <summary>
    /// Compares each other node's answer with main's (DESIGN §3.4). A node that answered differently has
    /// diverged: with <c>replication_stop_on_mismatch</c> (different outcome) or
    /// <c>failover_if_affected_tuples_mismatch</c> (different row counts) it is degenerated and the client gets
    /// main's result; with the setting off the statement fails for the client instead, everywhere alike.
    /// Returns the first divergence that fails the statement, or null when it stands.
    /// </summary>
    public Divergence? CompareWithMain(NodeLink main, NodeLink[] others)
    {
        Divergence? failure = null;
        foreach (var other in others)
        {
            if (!other.Detached && Compare(other, main.Summary, main.NodeId) is { } divergence)
            {
                failure ??= divergence;
            }
        }

        return failure;
    }

    /// <summary>
    /// Compares one node's answer with main's <paramref name="expected"/> one: degenerates the node when the
    /// settings say so, else returns the divergence that fails the statement (null when they agree).
    /// </summary>
    public Divergence? Compare(NodeLink other, ResultSummary expected, int mainId)
    {
        if (other.Summary.SameAs(expected))
        {
            return null;
        }

        if (TimingError(other) is { } timing)
        {
            // A cancel, a timeout, a deadlock there: nothing about the node's data, so the statement fails (with
            // the node's own SQLSTATE, which tells the client to retry) and the node stays, whatever the settings.
            Log.FailedByTiming(_logger, other.NodeId, timing.SqlState, timing.Message, mainId, expected.ToString());
            return new Divergence(mainId, expected.ToString(), other.NodeId, other.Summary.ToString(), false)
            {
                TimingError = timing,
            };
        }

        var options = _options();
        var countsOnly = other.Summary.DiffersOnlyInRowCounts(expected);
        Log.ResultMismatch(_logger, other.NodeId, mainId, expected.ToString(), other.Summary.ToString());
        if (countsOnly ? options.FailoverIfAffectedTuplesMismatch : options.ReplicationStopOnMismatch)
        {
            _links.Degenerate(other, $"its result \"{other.Summary}\" differs from main's \"{expected}\"");
            return null;
        }

        return new Divergence(mainId, expected.ToString(), other.NodeId, other.Summary.ToString(), countsOnly);
    }

    /// <summary>
    /// True when a difference between the others' answers and main's fails the statement instead of taking the
    /// node out (<c>replication_stop_on_mismatch</c> or <c>failover_if_affected_tuples_mismatch</c> off).
    /// </summary>
    private bool MismatchFailsStatement =>
        !_options().FailoverIfAffectedTuplesMismatch || !_options().ReplicationStopOnMismatch;

    /// <summary>
    /// Holds main's answer back until the others' answers are compared with it, when that comparison can still fail
    /// the statement (see <see cref="Replication.HeldAnswer"/>); when a mismatch only takes the node out, the client
    /// gets main's answer whatever the others say, and nothing is held.
    /// </summary>
    public void HoldAnswer(bool keepUntilResult)
    {
        if (MismatchFailsStatement)
        {
            _answer.Hold(keepUntilResult);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventIds.ResultMismatch, LogLevel.Warning,
            "result of backend node {NodeId} differs from main node {MainNodeId}: main \"{MainResult}\", " +
            "node {NodeId} \"{NodeResult}\"")]
        public static partial void ResultMismatch(ILogger logger, int nodeId, int mainNodeId, string mainResult,
            string nodeResult);

        [LoggerMessage(EventIds.FailedByTiming, LogLevel.Information,
            "backend node {NodeId} failed a write with {SqlState} ({Message}) where main node {MainNodeId} answered " +
            "\"{MainResult}\": an error of timing, so the write fails on every node and the node stays")]
        public static partial void FailedByTiming(ILogger logger, int nodeId, string sqlState, string message,
            int mainNodeId, string mainResult);
    }

    /// <summary>
    /// Flushes a request to the node whose answer is read next without waiting for the node to take all of it
    /// (see <see cref="NodeLink.PendingFlush"/>); <see cref="FinishFlushAsync"/> ends it once the answer is read.
    /// </summary>
    public static void StartFlushLink(NodeLink link)
    {
        try
        {
            link.StartFlush();
        }
        catch (Exception e) when (NodeFailures.IsNodeFailure(e) && e is not NodeFailureException)
        {
            throw new NodeFailureException(link,
                NodeFailures.LostReason(link, $"writing to backend node {link.NodeId} failed: {e.Message}"), e);
        }
    }

    /// <summary>
    /// Sends a replicated group to the others. Deferred answers are bounded to fit the socket buffers (see
    /// FlushUnlessHeldBackAsync); answers read next are read while the group still flushes, as main's are, since a
    /// node may answer an early Execute before it has read a large Bind behind it.
    /// </summary>
    public Task FlushGroupToOthersAsync(NodeLink[] others, bool deferred, bool passes)
    {
        if (deferred)
        {
            return FlushUnlessHeldBackAsync(others, passes);
        }

        StartFlushOthers(others);
        return Task.CompletedTask;
    }

    /// <summary>Starts the flush to every other node; one that fails here is taken out.</summary>
    public void StartFlushOthers(NodeLink[] others)
    {
        foreach (var other in others)
        {
            try
            {
                if (!other.Detached)
                {
                    StartFlushLink(other);
                }
            }
            catch (Exception e) when (NodeFailures.IsNodeFailure(e))
            {
                _links.Degenerate(other, "write failed: " + e.Message);
            }
        }
    }

    /// <summary>
    /// Waits for what <see cref="StartFlushLink"/> left sending. Called once the node has answered the request (so
    /// it has read all of it) or before pgproxy writes to it again (COPY data).
    /// </summary>
    public static async ValueTask FinishFlushAsync(NodeLink link)
    {
        if (link.TakePendingFlush() is not { } flush)
        {
            return;
        }

        try
        {
            await flush;
        }
        catch (Exception e) when (NodeFailures.IsNodeFailure(e) && e is not NodeFailureException)
        {
            throw new NodeFailureException(link,
                NodeFailures.LostReason(link, $"writing to backend node {link.NodeId} failed: {e.Message}"), e);
        }
    }

    /// <summary>
    /// Whether a statement main refused with <paramref name="sqlState"/> may have changed what a rollback does not
    /// undo, so the others must run it too. Not for refusals from the transaction's circumstances on main
    /// (deadlock, serialization, lock timeout, cancel, a failed transaction, lost connection, resources): the
    /// others would not meet them, and running it there could block on locks main's order did not take.
    /// </summary>
    public static bool LeavesStateWhenRefused(string? sqlState) =>
        sqlState is { Length: 5 } && sqlState[..2] is not ("40" or "55" or "57" or "25" or "08" or "53" or "42");
}

using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Pgproxy.Core.Config;
using Pgproxy.Core.Logging;
using Pgproxy.Core.Routing;
using Pgproxy.Protocol.Messages;

namespace Pgproxy.Core.Replication;

/// <summary>
/// Two-phase commit (DESIGN §3.9, replication_commit = two_phase): the others PREPARE TRANSACTION, main COMMITs —
/// main's commit log is the decision record — then the others COMMIT PREPARED (or ROLLBACK PREPARED when main's
/// COMMIT failed). A crash of pgproxy at any point leaves prepared transactions that
/// <see cref="PreparedTransactionResolver"/> ends as main decided; no node commits what another rolls back.
/// One per session: it remembers main's transaction id and what in the transaction PostgreSQL cannot prepare.
/// </summary>
internal sealed partial class TwoPhaseCommit(ICommitChannel channel, ReplyReader replies, TwoPhaseCommitState state,
    Func<ProxyOptions> options, ILogger logger)
{
    /// <summary>
    /// The transaction did what PostgreSQL cannot prepare (LISTEN, NOTIFY, a WITH HOLD cursor, REFRESH MATERIALIZED
    /// VIEW CONCURRENTLY).
    /// </summary>
    private bool _cannotPrepare;

    /// <summary>The session created temporary objects: PostgreSQL prepares none of its transactions that use them.</summary>
    private bool _usesTemporaryObjects;

    /// <summary>
    /// The session named temporary objects: their OIDs differ per node (a temporary schema created on one node
    /// only), so the session's reads go to main, where the OIDs in its answers (RowDescription's table OID, the
    /// catalog) agree with those of catalog reads that must run on main (pg_is_other_temp_schema…).
    /// </summary>
    public bool UsesTemporaryObjects => _usesTemporaryObjects;

    /// <summary>
    /// What the others' held-back answers, read with their PREPARE, showed when the commit ended
    /// <see cref="TwoPhaseOutcome.Diverged"/>.
    /// </summary>
    public Divergence? Diverged { get; private set; }

    /// <summary>A new internal transaction, or a group that begins one: its id is asked again.</summary>
    public void ForgetXid() => replies.MainXid = null;

    /// <summary>The client's transaction ended: the next one starts with nothing known about it.</summary>
    public void TransactionEnded()
    {
        replies.MainXid = null;
        _cannotPrepare = false;
    }

    /// <summary>
    /// Commits the transaction in two phases when replication_commit says so and PostgreSQL can prepare it; else
    /// returns <see cref="TwoPhaseOutcome.NotUsed"/> and the caller commits in one phase.
    /// </summary>
    /// <param name="main">The node whose COMMIT decides.</param>
    /// <param name="others">The other nodes in the transaction.</param>
    /// <param name="clientCommit">The client's COMMIT (a Query, or a group up to its Sync): what main gets and how
    /// its answer, which goes to the client, is read; null for pgproxy's own COMMIT.</param>
    public async Task<TwoPhaseOutcome> TryCommitAsync(NodeLink main, NodeLink[] others,
        ITransactionEnd? clientCommit)
    {
        Diverged = null;
        if (!UsesTwoPhase(main, others))
        {
            return TwoPhaseOutcome.NotUsed;
        }

        if (string.IsNullOrEmpty(replies.MainXid))
        {
            // No write pipelined the question (or its answer is lost): one round trip to main.
            main.Inject(InjectedQueries.SelectXid, InjectedReply.XidQueryCycle);
            await channel.FlushAsync(main);
            await channel.ReadRepliesAsync(main, forward: false, summarize: false, ReplyStop.UntilDrained);
        }

        if (!ulong.TryParse(replies.MainXid, NumberStyles.None, CultureInfo.InvariantCulture, out var xid))
        {
            state.CountOnePhase();
            return TwoPhaseOutcome.NotUsed;
        }

        var gid = new PreparedTransactionId(main.NodeId, xid).ToString();
        var slots = await state.Slots.AcquireAsync(others); // a node's max_prepared_transactions: wait, not fail
        try
        {
            return await CommitInTwoPhasesAsync(main, others, gid, clientCommit);
        }
        finally
        {
            state.Slots.Release(slots);
        }
    }

    /// <summary>Phases one to three, for the transaction <paramref name="gid"/> names.</summary>
    private async Task<TwoPhaseOutcome> CommitInTwoPhasesAsync(NodeLink main, NodeLink[] others, string gid,
        ITransactionEnd? clientCommit)
    {
        if (await PrepareOthersAsync(main, others, gid, clientCommit) is { } failed)
        {
            return failed;
        }

        if (state.BeforeMainCommit is { } before)
        {
            await before();
        }

        var committed = await CommitMainAsync(main, others, gid, clientCommit);
        if (committed is null)
        {
            return TwoPhaseOutcome.RolledBack;
        }

        if (state.AfterMainCommit is { } after)
        {
            await after();
        }

        var verb = InjectedQueries.Encode((committed.Value ? "COMMIT PREPARED '" : "ROLLBACK PREPARED '") + gid + "'");
        foreach (var other in others)
        {
            if (!other.Detached)
            {
                other.SwallowedError = null;
                other.Inject(verb, InjectedReply.QueryCycle);
            }
        }

        await channel.FlushOthersAsync(others);
        await channel.DrainOthersAsync(others);
        await RetryInterruptedAsync(others, verb);
        foreach (var other in others)
        {
            if (!other.Detached && other.SwallowedError is { } error && committed.Value
                && ErrorSqlState(error) != "42704")
            {
                // 42704: a resolver already committed it. Anything else: that node did not commit what main did.
                channel.Degenerate(other, $"COMMIT PREPARED '{gid}' failed where main committed: " + ErrorText(error));
            }
        }

        state.CountTwoPhase();
        return committed.Value ? TwoPhaseOutcome.Committed : TwoPhaseOutcome.MainRefused;
    }

    /// <summary>
    /// Sends COMMIT/ROLLBACK PREPARED once more to a node where it failed for a reason of timing: the client's
    /// CancelRequest reaches every node, and one that arrives while a node runs phase three cancels it there (57014)
    /// with the transaction still prepared. Taking the node out for that would let any client's cancel, well timed,
    /// take healthy nodes out; the second try finds no cancel pending.
    /// </summary>
    private async Task RetryInterruptedAsync(NodeLink[] others, byte[] verb)
    {
        var again = others.Where(o => !o.Detached && o.SwallowedError is { } error
                                      && Divergence.IsOfTiming(ErrorSqlState(error))).ToArray();
        if (again.Length == 0)
        {
            return;
        }

        foreach (var other in again)
        {
            Log.PhaseThreeRetried(logger, other.NodeId, ErrorText(other.SwallowedError!));
            other.SwallowedError = null;
            other.Inject(verb, InjectedReply.QueryCycle);
        }

        await channel.FlushOthersAsync(again);
        await channel.DrainOthersAsync(again);
    }

    private static string? ErrorSqlState(byte[] error) =>
        Protocol.Backend.ErrorResponseMessage.ReadSqlState(error.AsSpan(5));

    /// <summary>
    /// Phase two: main commits. True when it committed, false when its COMMIT failed (its error is the client's),
    /// null when main was lost: the others' prepared transactions are rolled back and the client is told.
    /// </summary>
    private async Task<bool?> CommitMainAsync(NodeLink main, NodeLink[] others, string gid,
        ITransactionEnd? clientCommit)
    {
        main.SwallowedError = null;
        main.Summary.Clear();
        try
        {
            if (clientCommit is not null)
            {
                // insert_lock's session-level lock of the transaction's last INSERT: every other node has run it
                // (they prepared), so it goes ahead of the COMMIT, not in a round trip of its own after it.
                main.ReleaseSessionLocks();
                clientCommit.SendTo(main, isAnswering: true);
                await channel.FlushAsync(main);
                channel.HoldAnswer(keepUntilResult: false); // the client hears COMMIT once every node has committed
                await clientCommit.ReadAnsweringAsync(main);
                // A COMMIT of a transaction that failed on main is answered ROLLBACK, with no error: main did not
                // commit, so neither may the others (a cancel landing on a query of pgproxy's own there fails main's
                // transaction unseen by the client).
                if (main.Summary.RolledBack)
                {
                    Log.MainRolledBackAtCommit(logger, main.NodeId, gid);
                    return false;
                }

                return !main.Summary.HasError;
            }

            main.Inject(InjectedQueries.Commit, InjectedReply.QueryCycle);
            await channel.FlushAsync(main);
            await channel.ReadRepliesAsync(main, forward: false, summarize: false, ReplyStop.UntilDrained);
            return main.SwallowedError is null;
        }
        catch (NodeFailureException e) when (e.Link == main)
        {
            channel.Degenerate(main, $"lost while committing (its transaction {gid} is rolled back on the others): {e.Message}");
            main.ForgetInjected();
            main.Status = TransactionStatus.Idle;
            await RollBackPreparedAsync(main, others, gid, rollBackMain: false);
            // 40001, rolled back and worth a retry: what pgproxy answers for every transaction lost with main.
            channel.AnswerWithError("40001",
                $"the transaction did not commit: main node {main.NodeId} was lost during its COMMIT and the other " +
                $"nodes rolled it back; node {main.NodeId} stays down until it is recovered");
            return null;
        }
    }

    /// <summary>
    /// Pipelines the question for main's transaction id ahead of the transaction's first write, so the gid costs
    /// no round trip at COMMIT.
    /// </summary>
    public void AskMainXid(NodeLink main)
    {
        if (replies.MainXid is null && state.Enabled && channel.HasLiveOthers)
        {
            main.Inject(InjectedQueries.SelectXid, InjectedReply.XidQueryCycle);
            replies.MainXid = "";
            replies.MainNow = null; // its answer brings this transaction's (none if it fails)
        }
    }

    /// <summary>
    /// Main's transaction timestamp is known, or on its way ahead of the next answer: the id question of this
    /// transaction was asked (<see cref="AskMainXid"/>), and its answer carries the timestamp too.
    /// </summary>
    public bool KnowsMainNow => replies.MainXid is not null;

    private bool UsesTwoPhase(NodeLink main, NodeLink[] others)
    {
        if (!state.Enabled || main.Status != TransactionStatus.InTransaction)
        {
            return false;
        }

        var any = false;
        foreach (var other in others)
        {
            // A node given only held-back writes has not answered yet: it is in the transaction all the same.
            any |= !other.Detached && (other.Status == TransactionStatus.InTransaction || other.Owes);
        }

        if (any && (_cannotPrepare || _usesTemporaryObjects))
        {
            state.CountOnePhase();
            Log.OnePhaseCommit(logger, _cannotPrepare
                ? "LISTEN, NOTIFY, a WITH HOLD cursor or REFRESH MATERIALIZED VIEW CONCURRENTLY"
                : "temporary objects");
            return false;
        }

        return any;
    }

    /// <summary>
    /// Notes what PostgreSQL refuses to prepare: LISTEN/UNLISTEN/NOTIFY (and pg_notify), WITH HOLD cursors and
    /// REFRESH MATERIALIZED VIEW CONCURRENTLY in the transaction; temporary objects anywhere in the session.
    /// </summary>
    public void NoteLimits(StatementClassification statement, ReadOnlySpan<byte> text)
    {
        // A string's classification names only its first statement; a later UNLISTEN counts as much (Npgsql resets a
        // pooled connection with "SET SESSION AUTHORIZATION DEFAULT;RESET ALL;CLOSE ALL;UNLISTEN *;…"). A word in a
        // literal costs no more than a one-phase commit.
        if (statement.StatementCount > 1 && NotifyingWord().IsMatch(Encoding.UTF8.GetString(text)))
        {
            _cannotPrepare = true;
        }

        switch (statement.FirstKeyword)
        {
            case "LISTEN" or "UNLISTEN" or "NOTIFY":
                _cannotPrepare = true;
                return;
            case "REFRESH" when Concurrently().IsMatch(Encoding.UTF8.GetString(text)):
                // The concurrent refresh diffs through a temporary table of its own: PREPARE refuses it (0A000).
                _cannotPrepare = true;
                return;
            case "DECLARE" or "CREATE" or "SELECT" when text.IndexOf("temp"u8) >= 0 || text.IndexOf("TEMP"u8) >= 0
                                                        || text.IndexOf("hold"u8) >= 0 || text.IndexOf("HOLD"u8) >= 0:
                var sql = Encoding.UTF8.GetString(text);
                _usesTemporaryObjects |= TemporaryObject().IsMatch(sql);
                _cannotPrepare |= statement.FirstKeyword == "DECLARE" && WithHold().IsMatch(sql);
                break;
            default:
                break;
        }

        foreach (var name in statement.FunctionNames)
        {
            _cannotPrepare |= name is "pg_notify" or "pg_catalog.pg_notify";
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventIds.OnePhaseCommit, LogLevel.Debug,
            "committing in one phase: PostgreSQL cannot prepare a transaction that used {What}")]
        public static partial void OnePhaseCommit(ILogger logger, string what);

        [LoggerMessage(EventIds.PrepareRefused, LogLevel.Information,
            "backend node {NodeId} could not prepare the transaction, which was rolled back on every node; the client " +
            "gets that node's error: {Message}")]
        public static partial void PrepareRefused(ILogger logger, int nodeId, string message);

        [LoggerMessage(EventIds.PhaseThreeRetried, LogLevel.Information,
            "backend node {NodeId} was interrupted ending its prepared transaction ({Message}); sent once more")]
        public static partial void PhaseThreeRetried(ILogger logger, int nodeId, string message);

        [LoggerMessage(EventIds.MainRolledBackAtCommit, LogLevel.Information,
            "main node {MainNodeId} answered the COMMIT with ROLLBACK (its transaction had failed): the others' " +
            "prepared transaction {Gid} is rolled back")]
        public static partial void MainRolledBackAtCommit(ILogger logger, int mainNodeId, string gid);
    }

    private static string ErrorText(byte[] errorFrame) =>
        Protocol.Backend.ErrorResponseMessage.Parse(errorFrame.AsSpan(5)).Message;

    [GeneratedRegex(@"\b(TEMP|TEMPORARY|pg_temp)\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex TemporaryObject();

    [GeneratedRegex(@"\bCONCURRENTLY\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Concurrently();

    [GeneratedRegex(@"\b(LISTEN|UNLISTEN|NOTIFY|pg_notify)\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex NotifyingWord();

    [GeneratedRegex(@"\bWITH\s+HOLD\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex WithHold();
}

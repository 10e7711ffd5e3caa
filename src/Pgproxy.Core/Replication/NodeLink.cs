using System.Buffers;
using System.IO.Pipelines;
using Pgproxy.Core.Backends;
using Pgproxy.Protocol.Messages;

namespace Pgproxy.Core.Replication;

/// <summary>
/// A session's connection to one node in replication mode, with what the session must remember about it: the
/// transaction status from its last ReadyForQuery, a BEGIN the client sent that has not reached this node yet
/// (it rides along with the next statement that does), and the replies to swallow because pgproxy injected
/// their requests.
/// </summary>
internal sealed class NodeLink
{
    private readonly Queue<InjectedReply> _injected = new();
    private readonly CancellationToken _nodeDown;

    public NodeLink(BackendConnection backend, BackendNode node)
    {
        Backend = backend;
        Node = node;
        AsTargets = [this];
        _nodeDown = node.DownToken;
    }

    /// <summary>
    /// The node went down since this link was made (another session or an admin took it out). The connection was
    /// aborted then, and the node, if it comes back, is a copy that went on without this session: the link is
    /// never live again, and the session counts as lacking the node (see ThrowIfANodeWasAttached).
    /// </summary>
    public bool Outlived => _nodeDown.IsCancellationRequested;

    /// <summary>This link alone, as the target list of a request that runs on one node (no allocation per request).</summary>
    public NodeLink[] AsTargets { get; }

    public BackendConnection Backend { get; }

    public BackendNode Node { get; }

    public int NodeId => Node.NodeId;

    /// <summary>Bit of this node in the statement registry's "parsed on" masks.</summary>
    public ulong Bit => 1UL << NodeId;

    public PipeReader Input => Backend.Input;

    /// <summary>
    /// The link's output. Writing while a flush started by <see cref="StartFlush"/> is still sending would race the
    /// transport's send buffer, so that is refused: the session finishes the flush (after the node's answer) first.
    /// </summary>
    public PipeWriter Output => PendingFlush is { IsCompleted: false }
        ? throw new InvalidOperationException($"{this}: written while a flush is still sending")
        : WithScriptWritten();

    /// <summary>The statements held back for this node, sent as one Query (see <see cref="HeldScript"/>).</summary>
    public HeldScript Script { get; } = new();

    /// <summary>
    /// Set while a held-back write is written for this node: its Query, and the client's BEGIN ahead of it, join
    /// <see cref="Script"/>, which anything else written or flushed here writes out first.
    /// </summary>
    public bool Scripting { get; set; }

    /// <summary>Bytes written or held for this node and not sent yet.</summary>
    public long UnsentBytes => Backend.Output.UnflushedBytes + Script.Bytes;

    /// <summary>Writes a message for this node, into <see cref="Script"/> while <see cref="Scripting"/>.</summary>
    /// <param name="frame">The message.</param>
    /// <param name="opensTransaction">It is the client's BEGIN, which a script may start with.</param>
    public void Write(ReadOnlySpan<byte> frame, bool opensTransaction = false)
    {
        if (Scripting && frame.Length > 5 && frame[0] == (byte)'Q' && PendingFlush is null)
        {
            Script.Add(frame, Script.Count > 0 || MayMergeFrom(opensTransaction));
            return;
        }

        Output.Write(frame);
    }

    private PipeWriter WithScriptWritten()
    {
        var output = Backend.Output;
        Script.WriteTo(output);
        return output;
    }

    /// <summary>
    /// A script starting now may be merged: nothing sent here is unanswered (its replies come first), it runs in the
    /// client's open transaction block, and the node resets statement_timeout per statement of a string (13+).
    /// </summary>
    private bool MayMergeFrom(bool opensTransaction) =>
        OwedCount == 0 && _injected.Count == 0 && ReplyRemaining == 0 && Script.IsQuiet && !SkipsToSync
        && Backend.Output.UnflushedBytes == 0
        && (opensTransaction ? Status == TransactionStatus.Idle : Status == TransactionStatus.InTransaction)
        && Backend.ServerMajorVersion >= 13;

    /// <summary>
    /// A flush that did not complete at once (the node's receive buffer is full), left running while the session
    /// reads the node's answer: a node blocked writing its answer reads nothing more, so waiting for the flush
    /// before reading would deadlock (a large result ahead of a large parameter in one batch). Null normally.
    /// </summary>
    public Task? PendingFlush { get; private set; }

    /// <summary>
    /// Sends what is written; whatever the node cannot take yet keeps going in <see cref="PendingFlush"/>. Only a
    /// flush that has to wait allocates.
    /// </summary>
    public void StartFlush()
    {
        var flush = WithScriptWritten().FlushAsync();
        if (flush.IsCompletedSuccessfully)
        {
            _ = flush.Result;
            return;
        }

        PendingFlush = flush.AsTask();
    }

    /// <summary>The flush left running by <see cref="StartFlush"/>, if any, handed over to be awaited.</summary>
    public Task? TakePendingFlush()
    {
        var flush = PendingFlush;
        PendingFlush = null;
        return flush;
    }

    /// <summary>Status from this node's last ReadyForQuery.</summary>
    public TransactionStatus Status
    {
        get => Backend.TransactionStatus;
        set
        {
            Backend.TransactionStatus = value;
            if (value == TransactionStatus.Idle)
            {
                RollbackOwed = false;
            }
        }
    }

    /// <summary>
    /// An error answered one of the client's messages and no ReadyForQuery has come since: inside a Flush-ended
    /// pipeline the node now skips everything up to the client's Sync, a query of pgproxy's own too, whose answer
    /// would never come (its wait would take the Sync's ReadyForQuery instead).
    /// </summary>
    public bool SkipsToSync { get; set; }

    /// <summary>
    /// A COMMIT or ROLLBACK of pgproxy's left this node's transaction open and failed (a cancel that met it despite
    /// CancelHold): a ROLLBACK goes ahead of the next statement, which would otherwise get 25P02.
    /// </summary>
    public bool RollbackOwed { get; set; }

    /// <summary>insert_lock's session-level locks on this node, inside the client's transaction.</summary>
    public SessionInsertLocks SessionLocks { get; } = new();

    /// <summary>
    /// The write being run took insert_lock's lock on this node so that an error of the INSERT leaves it held: a
    /// transaction-level lock before a savepoint, or a session-level lock (see SequenceLevel).
    /// </summary>
    public bool LockOutlivesError { get; set; }

    /// <summary>
    /// The write being run released that lock once every other node ran its INSERT, before the rest of the write
    /// (GroupRunner.ReadMainAroundLockAsync): every node drew what main drew, and levelling them after a timing error
    /// would now race the next inserter (see SequenceLevel).
    /// </summary>
    public bool LockReleasedEarly { get; set; }

    /// <summary>The client's BEGIN, not yet sent here; it is sent right before the next message this node gets.</summary>
    public byte[]? PendingBegin { get; set; }

    /// <summary>True when this node is (or, with a pending BEGIN, is about to be) inside the client's transaction.</summary>
    public bool InTransaction => PendingBegin is not null || Status != TransactionStatus.Idle;

    /// <summary>
    /// The transaction a group's BEGIN opens was opened by pgproxy first (GroupRunner.SharedSnapshot): the warning
    /// PostgreSQL gives that BEGIN (25001, already in a transaction) is pgproxy's doing, not the client's to see.
    /// </summary>
    public bool DropsBeginWarning { get; set; }

    /// <summary>The node was taken out (failed or diverged) during this session; it gets nothing more.</summary>
    public bool Detached { get; set; }

    /// <summary>Bytes of a reply message still to pass through or skip (a large one handled in pieces).</summary>
    public long ReplyRemaining { get; set; }

    /// <summary>True when the message being streamed in pieces is forwarded, false when it is skipped.</summary>
    public bool ReplyRemainingForwarded { get; set; }

    public ResultSummary Summary { get; } = new();

    /// <summary>
    /// Main's answers to the statements of the client's transaction this node has been given (sent, or still in
    /// <see cref="Output"/> unflushed) but whose answers the session has not read yet, oldest first (see
    /// <c>WritePath.SettleAsync</c>). The first <see cref="OwedCount"/> entries are live; the list only
    /// grows, so deferring allocates nothing once warm.
    /// </summary>
    private readonly List<ResultSummary> _expected = [];

    /// <summary>How many answers this node owes (see <see cref="ExpectedAnswer"/>).</summary>
    public int OwedCount { get; private set; }

    /// <summary>True when the node owes at least one answer.</summary>
    public bool Owes => OwedCount > 0;

    /// <summary>
    /// Nothing of a request is under way here: no reply half read, none to swallow or owed, no write still going.
    /// Only then may anything in the node's pipe be read as unasked, or a query of pgproxy's go between requests.
    /// </summary>
    public bool IsQuiet => ReplyRemaining == 0 && _injected.Count == 0 && !Owes && PendingFlush is null
                           && Script.IsQuiet;

    /// <summary>Records main's answer to a statement this node was given; its own answer is read later.</summary>
    public void Owe(ResultSummary mainAnswer)
    {
        if (OwedCount == _expected.Count)
        {
            _expected.Add(new ResultSummary());
        }

        _expected[OwedCount++].CopyFrom(mainAnswer);
    }

    /// <summary>Main's answer to the <paramref name="index"/>-th statement this node owes.</summary>
    public ResultSummary ExpectedAnswer(int index) => _expected[index];

    /// <summary>Forgets the owed answers (read, or no longer wanted).</summary>
    public void ClearOwed() => OwedCount = 0;

    /// <summary>The OID this node's counter gave pgproxy's last draw in this session (<see cref="OidNumbering"/>).</summary>
    public string? DrawnOid { get; set; }

    /// <summary>The OID (as text) of the table insert_lock last locked on this node: see SequenceLevel.</summary>
    public string? LockedTableOid { get; set; }

    /// <summary>
    /// The error (SQLSTATE, message) of the snapshot query pgproxy last ran on this node (TakeSnapshotsAsync),
    /// or null: a cancel that lands on it there fails the node's transaction, whose next statement then gets 25P02.
    /// </summary>
    public (string SqlState, string Message)? FailedSnapshot { get; set; }

    /// <summary>The error of the last swallowed cycle (an injected COMMIT that failed, say), if any.</summary>
    public byte[]? SwallowedError { get; set; }

    /// <summary>
    /// The error of an injected query since the client's last ReadyForQuery, until a 25P02 it caused takes it
    /// (ReplyReader.TakeInjectedCause).
    /// </summary>
    public byte[]? InjectedFailure { get; set; }

    /// <summary>
    /// Close messages for statements the client closed while this node was not in the group: sent ahead of the
    /// next group this node gets, so a later Parse of the same name does not collide.
    /// </summary>
    public List<byte[]> PendingCloses { get; } = [];

    /// <summary>Replies still to swallow, oldest first.</summary>
    public Queue<InjectedReply> Injected => _injected;

    /// <summary>
    /// Writes a message pgproxy injects and remembers to swallow its reply. Its own COMMIT and ROLLBACK are kept
    /// from a client's cancel like its BEGIN (CancelHold): cancelled, they left the transaction open and failed, and
    /// the next request ran into it (25P02, taken for a divergence).
    /// </summary>
    public void Inject(ReadOnlySpan<byte> message, InjectedReply reply)
    {
        if (reply == InjectedReply.QueryCycle
            && (message == InjectedQueries.Rollback.AsSpan() || message == InjectedQueries.Commit.AsSpan()))
        {
            Backend.CancelHold.Hold();
            reply = InjectedReply.EndCycle;
        }

        if (reply is InjectedReply.ControlCycle or InjectedReply.UnlockQueryCycle)
        {
            Write(message, opensTransaction: reply == InjectedReply.ControlCycle); // may join a held-back write's script
        }
        else
        {
            Output.Write(message);
        }

        _injected.Enqueue(reply);
    }

    /// <summary>
    /// Sends the client's deferred BEGIN ahead of whatever comes next, or the release of insert_lock's session-level
    /// locks that the last INSERT took, while the transaction can run it.
    /// </summary>
    public void FlushPendingBegin()
    {
        if (RollbackOwed && Status == TransactionStatus.Failed)
        {
            Inject(InjectedQueries.Rollback, InjectedReply.QueryCycle); // held and watched as an EndCycle
        }

        if (PendingBegin is { } begin)
        {
            PendingBegin = null;
            InjectBegin(begin);
        }

        ReleaseSessionLocks();
    }

    /// <summary>Writes a BEGIN of pgproxy's or the client's deferred one, safe from a cancel (CancelHold).</summary>
    public void InjectBegin(byte[] begin)
    {
        Backend.CancelHold.Hold();
        Inject(begin, InjectedReply.ControlCycle);
    }

    /// <summary>Drops the replies still to swallow: they will not be read.</summary>
    public void ForgetInjected()
    {
        _injected.Clear();
        Backend.CancelHold.Reset();
    }

    /// <summary>Sends the release of insert_lock's session-level locks, when some are held and it can run.</summary>
    public bool ReleaseSessionLocks()
    {
        if (SkipsToSync || !SessionLocks.CanUnlock(Status))
        {
            return false;
        }

        // Kept from a client's cancel like pgproxy's BEGIN (CancelHold): cancelled, the release failed the
        // transaction, and the client's next statement, which the cancel was meant for, got 25P02 instead of 57014.
        Backend.CancelHold.Hold();
        Inject(SessionLocks.StartUnlock(), InjectedReply.UnlockQueryCycle);
        return true;
    }

    /// <summary>
    /// Writes insert_lock's lock query. With <paramref name="releaseBeforeNext"/> (an INSERT sent alone in the
    /// client's transaction) a session-level lock, released before this node's next statement
    /// (InjectedQueries.LockTableForSession); else a transaction-level one, with a savepoint after it when
    /// <paramref name="holdThroughError"/> (InjectedQueries.LockTable).
    /// </summary>
    public void TakeInsertLock(string table, bool holdThroughError, bool releaseBeforeNext)
    {
        LockedTableOid = null;
        if (holdThroughError && releaseBeforeNext)
        {
            Inject(InjectedQueries.LockTableForSession(table), InjectedReply.SessionLockQueryCycle);
            SessionLocks.Took(table);
        }
        else
        {
            Inject(InjectedQueries.LockTable(table, holdThroughError), InjectedReply.LockQueryCycle);
        }

        LockOutlivesError = holdThroughError;
    }

    /// <summary>Sends the Close messages this node missed.</summary>
    public void FlushPendingCloses()
    {
        foreach (var close in PendingCloses)
        {
            Inject(close, InjectedReply.CloseComplete);
        }

        PendingCloses.Clear();
    }

    public override string ToString() => $"node {NodeId}";
}

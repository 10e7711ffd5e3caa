using Pgproxy.Core.Backends;
using Pgproxy.Core.Routing;
using Pgproxy.Protocol.Messages;

namespace Pgproxy.Core.Replication;

/// <summary>
/// What a replication session knows of its client's side, shared by the session and the collaborators that route,
/// plan and run its requests: the transaction status the client was last told and what it means for routing, and
/// which nodes hold an extended-protocol pipeline that has not reached its Sync.
/// </summary>
internal sealed class ClientState
{
    /// <summary>Transaction status the client was last told.</summary>
    public TransactionStatus Status { get; set; } = TransactionStatus.Idle;

    /// <summary>The client's transaction has written: its reads go to main from now on.</summary>
    public bool TransactionWrote { get; set; }

    /// <summary>The client's transaction is REPEATABLE READ or SERIALIZABLE: its reads go to main.</summary>
    public bool StrictIsolation { get; set; }

    /// <summary>
    /// The strict transaction's snapshot was taken on every node at one point (WritePath.ShareSnapshotAsync): its
    /// statements may run. Cleared with <see cref="StrictIsolation"/>.
    /// </summary>
    public bool SnapshotShared { get; set; }

    /// <summary>The transaction named its isolation level (BEGIN … ISOLATION LEVEL, SET TRANSACTION …).</summary>
    public bool IsolationNamed { get; set; }

    /// <summary>The client's transaction ran its first query (the one that takes its snapshot).</summary>
    public bool FirstQueryDone { get; set; }

    /// <summary>
    /// The client's transaction said READ ONLY (true) or READ WRITE (false) (TransactionModes); null when it said
    /// neither and runs under default_transaction_read_only. A READ ONLY one writes nothing, so its snapshot need not
    /// be shared, and a DEFERRABLE one must not be taken behind the write gate.
    /// </summary>
    public bool? ReadOnly { get; set; }

    /// <summary>The client changed a transaction default this session (SET, RESET, CHARACTERISTICS).</summary>
    public bool TransactionDefaultsChanged { get; set; }

    /// <summary>
    /// The session's transaction defaults once the client changed one (null: not known yet); before that, main's
    /// backend knows them (BackendConnection.ResetTransactionDefaults).
    /// </summary>
    public TransactionDefaults? TransactionDefaults { get; set; }

    /// <summary>What routing knew of the client's transaction, forgotten when it ends or is abandoned.</summary>
    public void ForgetTransaction()
    {
        TransactionWrote = false;
        StrictIsolation = false;
        SnapshotShared = false;
        IsolationNamed = false;
        FirstQueryDone = false;
        ReadOnly = null;
    }

    /// <summary>
    /// A SET, RESET or DISCARD that may change default_transaction_isolation or default_transaction_read_only: what
    /// main said of them no longer holds. Conservative (any such statement naming isolation, read_only or
    /// characteristics, or resetting everything).
    /// </summary>
    public void NoteSessionSetting(string? firstKeyword, ReadOnlySpan<byte> text)
    {
        if (firstKeyword is not ("SET" or "RESET" or "DISCARD"))
        {
            return;
        }

        if (Contains(text, "isolation"u8) || Contains(text, "read_only"u8) || Contains(text, "characteristics"u8)
            || (firstKeyword is not "SET" && Contains(text, "all"u8)))
        {
            ForgetTransactionDefaults();
        }
    }

    /// <summary>
    /// What main said of the session's transaction defaults no longer holds: ask again when needed. Also after a
    /// statement that calls set_config(), which can change them as SET does (its arguments may be parameters, so
    /// any call counts).
    /// </summary>
    public void ForgetTransactionDefaults()
    {
        TransactionDefaultsChanged = true;
        TransactionDefaults = null;
    }

    private static bool Contains(ReadOnlySpan<byte> text, ReadOnlySpan<byte> lowerWord)
    {
        for (var i = 0; i + lowerWord.Length <= text.Length; i++)
        {
            if (System.Text.Ascii.EqualsIgnoreCase(text.Slice(i, lowerWord.Length), lowerWord))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The node whose error put the client's transaction in the failed state.</summary>
    public NodeLink? FailedLink { get; set; }

    /// <summary>Nodes (by <see cref="NodeLink.Bit"/>) that got extended-protocol messages since the last Sync: the next
    /// Sync must reach them all.</summary>
    public ulong UnsyncedMask { get; set; }

    /// <summary>
    /// Main is inside an unsynced pipeline, but one whose BEGIN opened a transaction block (a batch cut after its
    /// BEGIN): a query of pgproxy's own may run there, as it commits nothing. Cleared by the Sync and by the end of
    /// the transaction.
    /// </summary>
    public bool BlockInPipeline { get; set; }

    /// <summary>The session's state as the router sees it.</summary>
    public RouteState RouteState => new(Status, TransactionWrote, StrictIsolation);

    /// <summary>
    /// Whether pgproxy may run a query of its own on <paramref name="main"/> now: not when the client's transaction
    /// failed (main can run nothing) or main is inside an unsynced pipeline.
    /// </summary>
    public bool MayQuery(NodeLink main) => Status != TransactionStatus.Failed && (UnsyncedMask & main.Bit) == 0;
}

namespace Pgproxy.Core.Replication;

/// <summary>
/// One write as <see cref="WritePath.RunAsync"/> runs it, whichever protocol carried it (a Query or FunctionCall
/// message: <see cref="QueryRunner"/>; an extended-protocol group: <see cref="GroupRunner"/>): what each node gets,
/// how a node's answer is read, and what the write is. The order — main first, then the others, the comparison,
/// the internal transaction's end — is the write path's alone.
/// </summary>
internal interface IFannedWrite
{
    /// <summary>Wrapped in pgproxy's own BEGIN … COMMIT: an autocommit write.</summary>
    bool InternalTransaction { get; }

    /// <summary>The client's request ends with the write (a Query, a Sync-ended group): it gets ReadyForQuery.</summary>
    bool EndsRequest { get; }

    /// <summary>Inside the client's transaction the others' answers may be owed (compared at a later statement).</summary>
    bool MayDefer { get; }

    /// <summary>Plain DML only: the others' owed answers may stay owed past it.</summary>
    bool IsPlainDml { get; }

    /// <summary>The table insert_lock locks on main for the write (it draws that table's sequences), or null.</summary>
    string? LockTable { get; }

    /// <summary>A write of the client's transaction, not session state (SET…): the transaction's reads go to main.</summary>
    bool MarksWrite { get; }

    /// <summary>
    /// Creates, alters or drops: the functions' volatility is read again, and the write takes its turn in
    /// <see cref="CatalogWriteOrder"/>.
    /// </summary>
    bool ChangesFunctions { get; }

    /// <summary>
    /// Rolled back, the write may be sent again and do the same: nothing in it outlives a rollback (a named
    /// prepared statement, a large object's OID given to the others, a second statement of a Query string).
    /// </summary>
    bool MayRunAgain { get; }

    /// <summary>
    /// An autocommit write that reads rows besides those it changes and may run again (no sequence, no volatile
    /// function): its internal transaction shares one REPEATABLE READ snapshot across the nodes
    /// (WritePath.ShareWriteSnapshotAsync).
    /// </summary>
    bool SharesSnapshot { get; }

    /// <summary>Main's answer is held until its first result rather than its completion (a group's).</summary>
    bool KeepsAnswerUntilResult { get; }

    /// <summary>Writes the write to a node: main's copy with what pgproxy asks of main first, or an other's copy.</summary>
    void SendTo(NodeLink link, bool isMain);

    /// <summary>Sends what <see cref="SendTo"/> wrote to main (possibly finished while its answer is read).</summary>
    ValueTask FlushMainAsync(NodeLink main);

    /// <summary>Reads main's answer, forwarding it to the client (through the held answer) and summarizing it.</summary>
    ValueTask<ReplyEnd> ReadMainAsync(NodeLink main);

    /// <summary>Main has answered (<paramref name="end"/>): the other nodes that get the write.</summary>
    NodeLink[] Others(NodeLink main, ReplyEnd end);

    /// <summary>Main refused the write (its error already went to the client).</summary>
    bool MainRefused(NodeLink main);

    /// <summary>
    /// After main refused: the others run it too where what main did before failing may outlive the rollback, and
    /// an internal transaction is rolled back everywhere. False when the write instead ran again and that run
    /// answered the request (main refused it only because pgproxy's internal transaction wrapped it).
    /// </summary>
    Task<bool> ReplayRefusedAsync(NodeLink main, NodeLink[] others, TimeSpan mainTime);

    /// <summary>
    /// Main went into COPY FROM STDIN: the others get the write and the data streams to every node. False when the
    /// write ended there (main's COPY failed in the extended protocol, and every node was brought to a Sync).
    /// </summary>
    Task<bool> CopyInAsync(NodeLink main, NodeLink[] others);

    /// <summary>Sends the others their copy; a deferred one may stay buffered while it <paramref name="passes"/>.</summary>
    Task FlushOthersAsync(NodeLink[] others, bool deferred, bool passes);

    /// <summary>Reads every other node's answer into its summary, within main's time and replication_answer_timeout.</summary>
    Task ReadOthersAsync(NodeLink main, NodeLink[] others, TimeSpan mainTime);
}

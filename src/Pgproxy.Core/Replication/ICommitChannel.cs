namespace Pgproxy.Core.Replication;

/// <summary>
/// What the commit protocol (<see cref="TwoPhaseCommit"/>) needs from the session it commits for: its nodes' input
/// and output, taking a node out, and answering its client. The session implements it; tests can script it.
/// </summary>
internal interface ICommitChannel
{
    /// <summary>Reads a node's replies until <paramref name="stop"/> (forwarding them to the client when asked).</summary>
    ValueTask<ReplyEnd> ReadRepliesAsync(NodeLink link, bool forward, bool summarize, ReplyStop stop);

    /// <summary>Writes what is buffered for a node; a failure is a <see cref="NodeFailureException"/>.</summary>
    ValueTask FlushAsync(NodeLink link);

    /// <summary>Flushes every other node; one that fails is taken out and the session carries on.</summary>
    Task FlushOthersAsync(NodeLink[] others);

    /// <summary>Reads the others' answers to what pgproxy injected; one that fails is taken out.</summary>
    Task DrainOthersAsync(NodeLink[] others);

    /// <summary>
    /// Reads and compares the answers the others owe to writes held back for them (sending what is still held back
    /// first); a divergence the settings do not take a node out for is returned.
    /// </summary>
    ValueTask<Divergence?> SettleAsync();

    /// <summary>Takes a node out for every session (it failed, or it diverged from main).</summary>
    void Degenerate(NodeLink link, string reason);

    /// <summary>True when the session has a live node besides main.</summary>
    bool HasLiveOthers { get; }

    /// <summary>Holds main's answer back until every node has committed, when a failure can still replace it.</summary>
    void HoldAnswer(bool keepUntilResult);

    /// <summary>Answers the client with pgproxy's own error in place of the statement's result.</summary>
    void AnswerWithError(string sqlState, string message);

    /// <summary>Answers the client with a node's ErrorResponse (whole frame) in place of the statement's result.</summary>
    void AnswerWithNodeError(byte[] errorFrame);

    /// <summary>
    /// Answers the client with a node's ErrorResponse (whole frame) from ending the transaction, after the
    /// statement's result, as PostgreSQL's own commit error follows the result it committed.
    /// </summary>
    void AnswerWithCommitError(byte[] errorFrame);
}

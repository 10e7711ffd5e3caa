namespace Pgproxy.Core.Replication;

/// <summary>
/// A node answered a replicated statement differently from main (DESIGN §3.4), and the statement fails for it rather
/// than the node being taken out: the outcome of a comparison, which the caller turns into the client's error.
/// </summary>
/// <param name="MainNodeId">The node whose answer the client got.</param>
/// <param name="MainAnswer">Main's answer, summarized (tags with row counts, error SQLSTATEs).</param>
/// <param name="NodeId">The node that answered differently.</param>
/// <param name="NodeAnswer">That node's answer, summarized.</param>
/// <param name="RowCountsOnly">The answers differ only in the number of rows affected.</param>
internal sealed record Divergence(int MainNodeId, string MainAnswer, int NodeId, string NodeAnswer, bool RowCountsOnly)
{
    /// <summary>The SQLSTATE of a difference in data: data corrupted, as pgpool-II reports a mismatch.</summary>
    public const string DataCorrupted = "XX001";

    /// <summary>
    /// The node's own error when it failed for a reason of timing (<see cref="IsOfTiming"/>), not of its data: the
    /// client gets that SQLSTATE, which says what to do (retry, or nothing after its own cancel).
    /// </summary>
    public (string SqlState, string Message)? TimingError { get; init; }

    /// <summary>The SQLSTATE of the client's error.</summary>
    public string SqlState => TimingError?.SqlState ?? DataCorrupted;

    /// <summary>The client's error message.</summary>
    public string Message => TimingError is { } timing
        ? $"{timing.Message} (on backend node {NodeId}, which pgproxy had sent what node {MainNodeId} answered " +
          $"\"{MainAnswer}\": it fails on every node)"
        : RowCountsOnly
            ? $"pgproxy detected a difference in the number of affected rows: node {MainNodeId} \"{MainAnswer}\", " +
              $"node {NodeId} \"{NodeAnswer}\""
            : $"pgproxy detected different results between nodes: node {MainNodeId} \"{MainAnswer}\", " +
              $"node {NodeId} \"{NodeAnswer}\"";

    /// <summary>
    /// Errors a node meets from the moment it runs a statement rather than from its data: a serialization failure or
    /// deadlock (class 40, but not 40002, a constraint checked at commit), lock_timeout or NOWAIT (55P03), a cancel or
    /// statement_timeout (57014; the client's CancelRequest reaches every node). main having run the statement
    /// without it says nothing about the node's rows, so it fails the statement, never takes the node out.
    /// </summary>
    public static bool IsOfTiming(string? sqlState) => sqlState is "40001" or "40P01" or "40003" or "55P03" or "57014";
}

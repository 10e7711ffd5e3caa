namespace Pgproxy.Core.Replication;

/// <summary>
/// A node answered a replicated statement differently from main (DESIGN §3.4), and the settings say the statement
/// fails for it rather than the node being taken out: the outcome of a comparison, which the caller turns into the
/// client's error.
/// </summary>
/// <param name="MainNodeId">The node whose answer the client got.</param>
/// <param name="MainAnswer">Main's answer, summarized (tags with row counts, error SQLSTATEs).</param>
/// <param name="NodeId">The node that answered differently.</param>
/// <param name="NodeAnswer">That node's answer, summarized.</param>
/// <param name="RowCountsOnly">The answers differ only in the number of rows affected.</param>
internal sealed record Divergence(int MainNodeId, string MainAnswer, int NodeId, string NodeAnswer, bool RowCountsOnly)
{
    /// <summary>The SQLSTATE of the client's error: data corrupted, as pgpool-II reports a mismatch.</summary>
    public const string SqlState = "XX001";

    /// <summary>The client's error message.</summary>
    public string Message => RowCountsOnly
        ? $"pgproxy detected a difference in the number of affected rows: node {MainNodeId} \"{MainAnswer}\", " +
          $"node {NodeId} \"{NodeAnswer}\""
        : $"pgproxy detected different results between nodes: node {MainNodeId} \"{MainAnswer}\", " +
          $"node {NodeId} \"{NodeAnswer}\"";
}

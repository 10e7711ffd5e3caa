namespace Pgproxy.Core.Replication;

internal sealed partial class ReplicationSession
{
    /// <summary>
    /// Compares each other node's answer with main's (DESIGN §3.4). A node that answered differently has
    /// diverged: with <c>replication_stop_on_mismatch</c> (different outcome) or
    /// <c>failover_if_affected_tuples_mismatch</c> (different row counts) it is degenerated and the client gets
    /// main's result; with the setting off the statement fails for the client instead, everywhere alike.
    /// Returns the error message for the client, or null when the statement stands.
    /// </summary>
    private string? CompareWithMain(NodeLink main, NodeLink[] others)
    {
        string? failure = null;
        foreach (var other in others)
        {
            if (!other.Detached && Compare(other, main.Summary, main.NodeId) is { } message)
            {
                failure ??= message;
            }
        }

        return failure;
    }

    /// <summary>
    /// Compares one node's answer with main's <paramref name="expected"/> one: degenerates the node when the
    /// settings say so, else returns the error message for the client (null when they agree).
    /// </summary>
    private string? Compare(NodeLink other, ResultSummary expected, int mainId)
    {
        if (other.Summary.SameAs(expected))
        {
            return null;
        }

        var options = _runtime.Options;
        var countsOnly = other.Summary.DiffersOnlyInRowCounts(expected);
        Log.ResultMismatch(_logger, other.NodeId, mainId, expected.ToString(), other.Summary.ToString());
        if (countsOnly ? options.FailoverIfAffectedTuplesMismatch : options.ReplicationStopOnMismatch)
        {
            _nodes.Degenerate(other, $"its result \"{other.Summary}\" differs from main's \"{expected}\"");
            return null;
        }

        return countsOnly
            ? $"pgproxy detected a difference in the number of affected rows: node {mainId} " +
              $"\"{expected}\", node {other.NodeId} \"{other.Summary}\""
            : $"pgproxy detected different results between nodes: node {mainId} \"{expected}\", " +
              $"node {other.NodeId} \"{other.Summary}\"";
    }
}

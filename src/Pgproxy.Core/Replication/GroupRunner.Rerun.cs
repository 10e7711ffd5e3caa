using Pgproxy.Protocol.Messages;

namespace Pgproxy.Core.Replication;

/// <summary>
/// A group that only reads, outside a transaction, on one node that is lost under it before anything of its answer
/// reached the client (a replica that crashed between health checks, or one a check or DETACH took out) runs again
/// on the nodes left, as a simple Query does (ReplicationSession.RunRequestAsync): the group's messages are kept for
/// that instead of dropped, and the session either runs it again or drops it.
/// </summary>
internal sealed partial class GroupRunner
{
    /// <summary>The group running now is a lone read of a Sync outside any transaction or pipeline.</summary>
    private bool _loneRead;

    /// <summary>The last group was a lone read whose node was lost: its messages are kept to run it again.</summary>
    public bool KeptForRerun { get; private set; }

    /// <summary>
    /// Whether the group may run again should its node be lost: it writes nothing, controls no transaction, runs on
    /// one node, and no transaction or unsynced pipeline surrounds it whose state would go with the node.
    /// </summary>
    private bool IsLoneRead(bool sync, in GroupAnalysis analysis, NodeLink[] targets) =>
        sync && targets.Length == 1 && !analysis.Writes && !analysis.HasTransactionControl && !analysis.CopiesIn
        && _state.Status == TransactionStatus.Idle && _state.UnsyncedMask == 0 && !_state.BlockInPipeline;

    /// <summary>After a group's run: forgets it, or keeps its messages when it is to run again.</summary>
    private void EndRun()
    {
        _loneRead = false;
        if (!KeptForRerun)
        {
            DropGroup();
            return;
        }

        ForgetBeginWarnings();
        _copyAteSync = false;
        ForgetAhead();
        _analyzer.Clear(); // analysed afresh by the next run: the statements it defines are known by then
    }

    /// <summary>
    /// Forgets a kept group the request did not run again (its answer had begun, or the session ends): called once
    /// every request is over, so no path leaves its messages in front of the client's next group.
    /// </summary>
    public void DropKeptGroup()
    {
        if (KeptForRerun)
        {
            KeptForRerun = false;
            DropGroup();
        }
    }

    /// <summary>The session runs the kept group again: from here on it is a group like any other.</summary>
    public void TakeKeptGroup() => KeptForRerun = false;
}

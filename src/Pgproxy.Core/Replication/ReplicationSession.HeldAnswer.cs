namespace Pgproxy.Core.Replication;

internal sealed partial class ReplicationSession
{
    /// <summary>
    /// True when a difference between the others' answers and main's fails the statement instead of taking the
    /// node out (<c>replication_stop_on_mismatch</c> or <c>failover_if_affected_tuples_mismatch</c> off).
    /// </summary>
    private bool MismatchFailsStatement =>
        !_runtime.Options.FailoverIfAffectedTuplesMismatch || !_runtime.Options.ReplicationStopOnMismatch;

    /// <summary>
    /// Holds main's answer back until the others' answers are compared with it, when that comparison can still fail
    /// the statement (see <see cref="Replication.HeldAnswer"/>); when a mismatch only takes the node out, the client
    /// gets main's answer whatever the others say, and nothing is held.
    /// </summary>
    private void HoldAnswer(bool keepUntilResult)
    {
        if (MismatchFailsStatement)
        {
            _answer.Hold(keepUntilResult);
        }
    }
}

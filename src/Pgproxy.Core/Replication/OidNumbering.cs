namespace Pgproxy.Core.Replication;

/// <summary>
/// Whether an autocommit schema change is checked for the OIDs it drew, and how often it has run. Aligning the
/// counters as its turn starts (<see cref="OidCounters"/>) leaves a window: the nodes run the change one after the
/// other, and anything else that draws an OID meanwhile on one node alone — autovacuum's ANALYZE of a catalog
/// TOASTs its statistics under OIDs of the shared counter, and catalogs are analyzed right after DDL — shifts every
/// OID the change draws there. One such draw in 150 runs of six sessions' CREATE EXTENSION and CREATE TYPE on a
/// loaded machine numbered a type apart. So each node draws once more inside the change's transaction; when not
/// every node gives the same OID, the transaction is rolled back everywhere (its answer still held, unseen) and
/// the change runs again after the counters are aligned anew.
/// </summary>
/// <remarks>
/// Equal draws after equal counters mean every node drew as many OIDs in between; two nodes each drawing one of
/// their own at different moments would still pass — a coincidence of two rare events, not looked for. Only writes
/// that may run twice are checked (<see cref="IFannedWrite.MayRunAgain"/>).
/// </remarks>
internal sealed class OidNumbering(bool checks)
{
    /// <summary>How many runs a change gets before it commits as numbered, apart or not (logged).</summary>
    public const int MaxRuns = 3;

    /// <summary>The next run ends with the check.</summary>
    public bool Checks { get; private set; } = checks;

    /// <summary>Runs so far, the current one included.</summary>
    public int Run { get; private set; } = 1;

    /// <summary>The last run may not run again: numbered apart, it commits anyway.</summary>
    public bool IsLastRun => Run >= MaxRuns;

    /// <summary>
    /// The change runs again; checked only when the counters were aligned again (<paramref name="aligned"/>) and
    /// the check itself did not fail.
    /// </summary>
    public void RunAgain(bool aligned)
    {
        Run++;
        Checks = Checks && aligned;
    }

    /// <summary>The check itself failed on a node (its draw was refused): the change runs once more, unchecked.</summary>
    public void StopChecking() => Checks = false;
}

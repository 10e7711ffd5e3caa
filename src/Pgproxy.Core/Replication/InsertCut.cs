namespace Pgproxy.Core.Replication;

/// <summary>
/// Where an autocommit group is cut around the INSERT that takes insert_lock's lock (GroupAnalyzer.LockCut): the
/// frame its part starts at (<paramref name="Before"/>, 0 when it is the first statement) and the frame after its
/// Execute (<paramref name="After"/>, 0 when no statement follows it). Both 0: the group runs whole.
/// </summary>
internal readonly record struct InsertCut(int Before, int After)
{
    public bool Cuts => Before > 0 || After > 0;

    /// <summary>Where main's first part ends: before the INSERT, or after it when it is the first statement.</summary>
    public int FirstStop => Before > 0 ? Before : After;
}

namespace Pgproxy.Core.Consistency;

/// <summary>
/// Whether the cut was taken, how long the gate held commits, why not, and the gate's commit count at the cut.
/// </summary>
internal sealed record CutOutcome(bool Taken, TimeSpan Pause, string? Failure, long CommitsAtCut = 0);

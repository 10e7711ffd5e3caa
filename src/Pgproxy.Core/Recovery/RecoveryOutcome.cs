namespace Pgproxy.Core.Recovery;

/// <summary>
/// How a recovery ended. On failure <paramref name="Error"/> says what failed where, and the node is still down
/// with nothing of the recovery left on either node. <paramref name="LongestCutoverPause"/> is the longest time the
/// write gate was held closed by a cutover attempt; <paramref name="CutoverAttempts"/> counts them.
/// <paramref name="SessionsWithoutNode"/> counts client sessions open at the attach that were connected while the
/// node was down (they keep writing to the other nodes only until they reconnect).
/// </summary>
internal sealed record RecoveryOutcome(bool Succeeded, string? Error, TimeSpan LongestCutoverPause,
    TimeSpan Duration, int CutoverAttempts, string? CutoverLsn, int TablesCopied, int SessionsWithoutNode)
{
    public static RecoveryOutcome Failed(string error, RecoveryProgress progress, TimeSpan longestPause,
        int attempts) =>
        new(false, error, longestPause, progress.Elapsed, attempts, null, progress.TablesCopied, 0);
}

using Microsoft.Extensions.Logging;
using Pgproxy.Core.Logging;

namespace Pgproxy.Core.Recovery;

internal sealed partial class NodeRecovery
{
    private static partial class Log
    {
        [LoggerMessage(EventIds.RecoveryStarted, LogLevel.Information,
            "recovery {RecoveryId} of backend node {NodeId} started (wipe = {Wipe}, {RequestedBy})")]
        public static partial void Started(ILogger logger, int nodeId, bool wipe, string requestedBy, string recoveryId);

        [LoggerMessage(EventIds.RecoveryPhase, LogLevel.Information,
            "recovery of backend node {NodeId}: {Phase} at {ElapsedMs:0} ms {Detail}")]
        public static partial void Phase(ILogger logger, int nodeId, string phase, double elapsedMs, string detail);

        [LoggerMessage(EventIds.RecoverySucceeded, LogLevel.Information,
            "backend node {NodeId} recovered in {DurationMs:0} ms: longest cutover pause {PauseMs:0} ms, " +
            "{Attempts} cutover attempt(s), cut at {Lsn}; {Stale} session(s) connected while it was down do not " +
            "write to it")]
        public static partial void Succeeded(ILogger logger, int nodeId, double durationMs, double pauseMs,
            int attempts, string lsn, int stale);

        [LoggerMessage(EventIds.RecoveryFailed, LogLevel.Warning, "recovery of backend node {NodeId} failed: {Error}")]
        public static partial void Failed(ILogger logger, int nodeId, string error);

        [LoggerMessage(EventIds.RecoveryCutoverRetry, LogLevel.Information,
            "recovery of backend node {NodeId}: cutover not finished, the gate is open again and catching up goes " +
            "on: {Reason}")]
        public static partial void CutoverRetry(ILogger logger, int nodeId, string reason);

        [LoggerMessage(EventIds.RecoveryCleanupFailed, LogLevel.Warning,
            "recovery of backend node {NodeId}: could not remove {Problem}")]
        public static partial void CleanupFailed(ILogger logger, int nodeId, string problem);

        [LoggerMessage(EventIds.RecoveryLeftoversRemoved, LogLevel.Information,
            "removed {Count} subscription(s) an earlier recovery left behind")]
        public static partial void LeftoversRemoved(ILogger logger, int count);

        [LoggerMessage(EventIds.RecoveryNotJournaled, LogLevel.Warning,
            "recovery of backend node {NodeId} not recorded in the system DB's recovery_journal: {Reason}")]
        public static partial void NotJournaled(ILogger logger, int nodeId, string reason);
    }
}

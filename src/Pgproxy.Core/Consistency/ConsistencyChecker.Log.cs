using Microsoft.Extensions.Logging;
using Pgproxy.Core.Logging;

namespace Pgproxy.Core.Consistency;

internal sealed partial class ConsistencyChecker
{
    private static partial class Log
    {
        [LoggerMessage(EventIds.CheckStarted, LogLevel.Information, "consistency check {RunId} started ({RequestedBy})")]
        public static partial void Started(ILogger logger, long runId, string requestedBy);

        [LoggerMessage(EventIds.CheckIdentical, LogLevel.Information, "{Summary}")]
        public static partial void Identical(ILogger logger, string summary);

        [LoggerMessage(EventIds.CheckDifference, LogLevel.Warning,
            "consistency check {RunId}: database {Database}, {Relation} on node {NodeId}: {Verdict}: {Detail}")]
        public static partial void Difference(ILogger logger, long runId, string database, string relation, int nodeId,
            string verdict, string detail);

        [LoggerMessage(EventIds.CheckFailed, LogLevel.Warning, "consistency check {RunId} could not check: {Reason}")]
        public static partial void Failed(ILogger logger, long runId, string reason);

        [LoggerMessage(EventIds.CheckDegenerated, LogLevel.Warning,
            "backend node {NodeId} degenerated: consistency check {RunId} found it different from main " +
            "(consistency_check_failover = on)")]
        public static partial void Degenerated(ILogger logger, int nodeId, long runId);

        [LoggerMessage(EventIds.CheckNotRecorded, LogLevel.Warning,
            "consistency check {RunId} not recorded in the system DB: {Reason}")]
        public static partial void NotRecorded(ILogger logger, long runId, string reason);
    }
}

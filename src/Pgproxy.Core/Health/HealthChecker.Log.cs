using Microsoft.Extensions.Logging;
using Pgproxy.Core.Logging;

namespace Pgproxy.Core.Health;

internal sealed partial class HealthChecker
{
    private static partial class Log
    {
        [LoggerMessage(EventIds.HealthCheckRetrying, LogLevel.Information,
            "health check on node {NodeId} failed, retry {Retry} of {MaxRetries}: {Reason}")]
        public static partial void Retrying(ILogger logger, int nodeId, int retry, int maxRetries, string reason);

        [LoggerMessage(EventIds.HealthCheckRetrySucceeded, LogLevel.Information,
            "health check on node {NodeId} succeeded after {Retries} retries")]
        public static partial void RetrySucceeded(ILogger logger, int nodeId, int retries);

        [LoggerMessage(EventIds.HealthCheckFailed, LogLevel.Error,
            "health check failed on node {NodeId} after {Retries} retries, degenerating it: {Reason}")]
        public static partial void Failed(ILogger logger, int nodeId, int retries, string reason);

        [LoggerMessage(EventIds.HealthCheckFailoverDisallowed, LogLevel.Warning,
            "health check failed on node {NodeId} but failover is disallowed for the node (DISALLOW_TO_FAILOVER): " +
            "{Reason}")]
        public static partial void FailoverDisallowed(ILogger logger, int nodeId, string reason);

        [LoggerMessage(EventIds.HealthCheckRefused, LogLevel.Warning,
            "node {NodeId} is up but refused the health check's login, so it stays attached; check " +
            "health_check_user, health_check_password and health_check_database: {Reason}")]
        public static partial void Refused(ILogger logger, int nodeId, string reason);

        [LoggerMessage(EventIds.HealthCheckNodeUp, LogLevel.Information,
            "health check reached node {NodeId}: it is up")]
        public static partial void NodeUp(ILogger logger, int nodeId);

        [LoggerMessage(EventIds.HealthCheckCredentialProblem, LogLevel.Error,
            "health check cannot log in as \"{User}\": {Problem}")]
        public static partial void CredentialProblem(ILogger logger, string user, string problem);

        [LoggerMessage(EventIds.HealthCheckLoopFailed, LogLevel.Error,
            "health check on node {NodeId} failed unexpectedly")]
        public static partial void LoopFailed(ILogger logger, Exception exception, int nodeId);
    }
}

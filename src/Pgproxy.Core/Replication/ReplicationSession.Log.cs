using Microsoft.Extensions.Logging;
using Pgproxy.Core.Logging;

namespace Pgproxy.Core.Replication;

internal sealed partial class ReplicationSession
{
    private static partial class Log
    {
        [LoggerMessage(EventIds.StatementRefused, LogLevel.Warning, "{Message}")]
        public static partial void StatementRefused(ILogger logger, string message);

        [LoggerMessage(EventIds.PerNodeStatement, LogLevel.Information, "DB node id: {NodeId} statement: {Statement}")]
        public static partial void PerNodeStatement(ILogger logger, int nodeId, string statement);

        [LoggerMessage(EventIds.BackendTerminated, LogLevel.Warning,
            "backend node {NodeId} ended this session's connection, but the node accepts new ones: the session ends " +
            "and the node stays up ({Message})")]
        public static partial void BackendTerminated(ILogger logger, int nodeId, string message);
    }
}

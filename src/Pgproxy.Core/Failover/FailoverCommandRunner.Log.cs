using Microsoft.Extensions.Logging;
using Pgproxy.Core.Logging;

namespace Pgproxy.Core.Failover;

internal sealed partial class FailoverCommandRunner
{
    private static partial class Log
    {
        [LoggerMessage(EventIds.FailoverCommandStarted, LogLevel.Information,
            "node {NodeId}: running {Key}: {Command}")]
        public static partial void Started(ILogger logger, string key, int nodeId, string command);

        [LoggerMessage(EventIds.FailoverCommandSucceeded, LogLevel.Information,
            "node {NodeId}: {Key} succeeded in {Milliseconds:0} ms")]
        public static partial void Succeeded(ILogger logger, string key, int nodeId, double milliseconds);

        [LoggerMessage(EventIds.FailoverCommandFailed, LogLevel.Error,
            "node {NodeId}: {Key} exited with code {ExitCode}; stderr: {StdErr}")]
        public static partial void Failed(ILogger logger, string key, int nodeId, int exitCode, string stdErr);

        [LoggerMessage(EventIds.FailoverCommandTimedOut, LogLevel.Error,
            "node {NodeId}: {Key} was killed after {Seconds:0} s; stderr: {StdErr}")]
        public static partial void TimedOut(ILogger logger, string key, int nodeId, double seconds, string stdErr);

        [LoggerMessage(EventIds.FailoverCommandRefused, LogLevel.Error, "node {NodeId}: {Key} not run: {Problem}")]
        public static partial void Refused(ILogger logger, string key, int nodeId, string problem);

        [LoggerMessage(EventIds.FailoverCommandNotStarted, LogLevel.Error, "node {NodeId}: {Key} could not be run")]
        public static partial void NotStarted(ILogger logger, Exception exception, string key, int nodeId);

        [LoggerMessage(EventIds.FailoverCommandDropped, LogLevel.Warning,
            "node {NodeId}: {Key} not run: pgproxy is shutting down")]
        public static partial void Dropped(ILogger logger, string key, int nodeId);

        [LoggerMessage(EventIds.FailoverCommandOutput, LogLevel.Information,
            "node {NodeId}: {Key} wrote to {Stream}: {Text}")]
        public static partial void Output(ILogger logger, string key, int nodeId, string stream, string text);
    }
}

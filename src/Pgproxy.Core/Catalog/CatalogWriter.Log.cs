using Microsoft.Extensions.Logging;
using Pgproxy.Core.Logging;

namespace Pgproxy.Core.Catalog;

/// <summary>The catalog writer's log messages.</summary>
internal sealed partial class CatalogWriter
{
    private static partial class Log
    {
        [LoggerMessage(EventIds.CatalogConnected, LogLevel.Information,
            "system DB {SystemDb} connected, schema version {Version}")]
        public static partial void Connected(ILogger logger, string systemDb, int version);

        [LoggerMessage(EventIds.CatalogUnreachable, LogLevel.Warning,
            "system DB {SystemDb} unreachable: {Error}; pgproxy keeps serving, keeps node status in the status " +
            "file and queues events for the system DB, retrying in the background")]
        public static partial void Unreachable(ILogger logger, string systemDb, string error);

        [LoggerMessage(EventIds.CatalogRetryFailed, LogLevel.Debug,
            "system DB still unreachable: {Error}; next attempt in {Seconds} s")]
        public static partial void RetryFailed(ILogger logger, string error, double seconds);

        [LoggerMessage(EventIds.CatalogReconnected, LogLevel.Information,
            "system DB {SystemDb} reachable again; {Events} queued event(s) written")]
        public static partial void Reconnected(ILogger logger, string systemDb, int events);

        [LoggerMessage(EventIds.CatalogMigrated, LogLevel.Information,
            "system DB schema migrated to version {Version}: {Description}")]
        public static partial void Migrated(ILogger logger, int version, string description);

        [LoggerMessage(EventIds.CatalogEventsDropped, LogLevel.Warning,
            "more than {Max} node status events waiting for the system DB: the oldest are dropped (the status " +
            "file and node rows stay right; only event history is lost)")]
        public static partial void EventsDropped(ILogger logger, int max);

        [LoggerMessage(EventIds.CatalogFlushIncomplete, LogLevel.Warning,
            "stopping with {Events} node status event(s) not written to the system DB (the status file is current); " +
            "they are kept in \"{Path}\" and written at the next start")]
        public static partial void FlushIncomplete(ILogger logger, int events, string path);

        [LoggerMessage(EventIds.CatalogQueueRead, LogLevel.Information,
            "{Events} node status event(s) an earlier run could not write to the system DB read from \"{Path}\"; " +
            "they are written first")]
        public static partial void QueueRead(ILogger logger, int events, string path);

        [LoggerMessage(EventIds.CatalogQueueBadLine, LogLevel.Warning, "{Problem}")]
        public static partial void QueueBadLine(ILogger logger, string problem);

        [LoggerMessage(EventIds.CatalogQueueWriteFailed, LogLevel.Warning,
            "cannot write \"{Path}\": {Error}; node status events queued for the system DB would be lost if " +
            "pgproxy stopped now")]
        public static partial void QueueWriteFailed(ILogger logger, string path, string error);

        [LoggerMessage(EventIds.CatalogWriterFailed, LogLevel.Error,
            "the catalog writer stopped: node status changes are no longer saved until pgproxy restarts")]
        public static partial void WriterFailed(ILogger logger, Exception error);

        [LoggerMessage(EventIds.CatalogSchemaNewer, LogLevel.Warning,
            "system DB schema version {Version} is newer than this pgproxy's {Known}; using the tables it knows")]
        public static partial void SchemaNewer(ILogger logger, int version, int known);

        [LoggerMessage(EventIds.StatusFileWriteFailed, LogLevel.Warning,
            "cannot write the status file \"{Path}\": {Error}; node status will not survive a restart until it can")]
        public static partial void StatusFileWriteFailed(ILogger logger, string path, string error);

        [LoggerMessage(EventIds.StatusFileWritten, LogLevel.Information, "status file \"{Path}\" written again")]
        public static partial void StatusFileWritten(ILogger logger, string path);
    }
}

using Microsoft.Extensions.Logging;
using Pgproxy.Core.Logging;

namespace Pgproxy.Hosting;

/// <summary>Log messages of the executable's own parts (start, signals, reload).</summary>
internal static partial class HostLog
{
    [LoggerMessage(EventIds.ConfigWarning, LogLevel.Warning, "{Diagnostic}")]
    public static partial void ConfigWarning(ILogger logger, ConfigDiagnosticText diagnostic);

    [LoggerMessage(EventIds.ReloadFailed, LogLevel.Error, "{Diagnostic}")]
    public static partial void ConfigError(ILogger logger, ConfigDiagnosticText diagnostic);

    [LoggerMessage(EventIds.ReloadFailed + 10, LogLevel.Error,
        "reload of {Path} failed: the configuration in effect is unchanged")]
    public static partial void ReloadFailed(ILogger logger, string path);

    [LoggerMessage(EventIds.ReloadFailed + 11, LogLevel.Error, "{Problem}")]
    public static partial void ReloadProblem(ILogger logger, string problem);

    [LoggerMessage(EventIds.Started + 10, LogLevel.Debug, "pid file {PidFile} written")]
    public static partial void PidFileWritten(ILogger logger, string pidFile);

    [LoggerMessage(EventIds.Stopping + 10, LogLevel.Warning, "immediate shutdown requested: exiting now")]
    public static partial void ImmediateShutdown(ILogger logger);

    [LoggerMessage(EventIds.Started + 12, LogLevel.Critical, "could not listen on port {Port}: {Reason}")]
    public static partial void BindFailed(ILogger logger, int port, string reason);

    [LoggerMessage(EventIds.Started + 13, LogLevel.Critical, "could not start: {Reason}")]
    public static partial void StartFailed(ILogger logger, string reason);
}

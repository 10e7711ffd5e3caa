using Microsoft.Extensions.Logging;

namespace Pgproxy.Hosting;

/// <summary>
/// Maps pgpool's <c>log_min_messages</c> onto .NET log levels. pgpool's LOG messages (start, stop, reload) rank
/// above WARNING in its ordering, so <c>warning</c>, the default, still shows pgproxy's lifecycle messages.
/// </summary>
internal static class LogLevels
{
    public static LogLevel FromLogMinMessages(string value) => value.ToLowerInvariant() switch
    {
        "debug5" or "debug4" or "debug3" => LogLevel.Trace,
        "debug2" or "debug1" => LogLevel.Debug,
        "error" => LogLevel.Error,
        "fatal" or "panic" => LogLevel.Critical,
        _ => LogLevel.Information,
    };
}

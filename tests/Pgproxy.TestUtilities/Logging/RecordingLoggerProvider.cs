using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Pgproxy.TestUtilities.Logging;

/// <summary>
/// Keeps every log line in memory, so a test can assert what pgproxy warned about and how often.
/// <c>LoggerFactory.Create(b => b.AddProvider(provider).SetMinimumLevel(LogLevel.Debug))</c>.
/// </summary>
public sealed class RecordingLoggerProvider : ILoggerProvider
{
    private readonly ConcurrentQueue<RecordedLog> _logs = new();

    public IReadOnlyList<RecordedLog> Logs => [.. _logs];

    /// <summary>A logger factory that records into this provider, at every level.</summary>
    public ILoggerFactory CreateFactory() =>
        LoggerFactory.Create(builder => builder.AddProvider(this).SetMinimumLevel(LogLevel.Trace));

    public IReadOnlyList<RecordedLog> WithEventId(int eventId) => [.. _logs.Where(l => l.EventId == eventId)];

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, this);

    public void Dispose()
    {
    }

    private sealed class Logger(string category, RecordingLoggerProvider provider) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception,
            Func<TState, Exception?, string> formatter)
        {
            ArgumentNullException.ThrowIfNull(formatter);
            provider._logs.Enqueue(new RecordedLog(category, logLevel, eventId.Id, formatter(state, exception)));
        }
    }
}

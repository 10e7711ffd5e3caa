using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace Pgproxy.IntegrationTests.Support;

/// <summary>
/// Writes pgproxy's log to the test's output, which the runner shows with a failed test: a failure that only happens
/// under load can then be read from the run that had it. Pass <see cref="CreateFactory"/> to
/// <see cref="ProxyHost.Start"/>.
/// </summary>
internal sealed class TestOutputLoggerProvider(ITestOutputHelper output) : ILoggerProvider
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    /// <summary>A logger factory that writes into this provider, at every level.</summary>
    public ILoggerFactory CreateFactory() =>
        LoggerFactory.Create(builder => builder.AddProvider(this).SetMinimumLevel(LogLevel.Trace));

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, this);

    public void Dispose()
    {
    }

    private void Write(string line)
    {
        try
        {
            output.WriteLine($"{_clock.Elapsed.TotalMilliseconds,9:F1} ms [{Environment.CurrentManagedThreadId,3}] {line}");
        }
        catch (InvalidOperationException)
        {
            // Logged after the test ended (pgproxy's background work stopping): xunit has nowhere to put it.
        }
    }

    private sealed class Logger(string category, TestOutputLoggerProvider provider) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception,
            Func<TState, Exception?, string> formatter)
        {
            ArgumentNullException.ThrowIfNull(formatter);
            provider.Write($"{logLevel} {category}[{eventId.Id}] {formatter(state, exception)}"
                           + (exception is null ? "" : Environment.NewLine + exception));
        }
    }
}

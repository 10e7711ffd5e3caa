using Microsoft.Extensions.Logging;

namespace Pgproxy.TestUtilities.Logging;

/// <summary>One log line as pgproxy wrote it.</summary>
public sealed record RecordedLog(string Category, LogLevel Level, int EventId, string Message);

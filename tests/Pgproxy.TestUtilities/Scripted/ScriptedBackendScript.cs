namespace Pgproxy.TestUtilities.Scripted;

/// <summary>
/// What a <see cref="ScriptedBackend"/> does beyond answering like a healthy PostgreSQL: the faults a session test
/// wants to inject. The default script has no faults.
/// </summary>
internal sealed record ScriptedBackendScript
{
    /// <summary>ParameterStatus messages sent during startup, in order.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Parameters { get; init; } =
    [
        new("server_version", "16.4 (scripted)"),
        new("server_encoding", "UTF8"),
        new("client_encoding", "UTF8"),
        new("DateStyle", "ISO, MDY"),
        new("integer_datetimes", "on"),
        new("standard_conforming_strings", "on"),
        new("TimeZone", "UTC"),
    ];

    /// <summary>When set, the backend asks for md5 authentication and accepts only this password.</summary>
    public string? Md5Password { get; init; }

    /// <summary>When set (and <see cref="Md5Password"/> is not), the backend asks for SCRAM-SHA-256 against this
    /// stored verifier, as PostgreSQL does for a role whose pg_authid holds it.</summary>
    public string? ScramVerifier { get; init; }

    /// <summary>
    /// After receiving this many messages (counted after the startup), the backend sends part of a result
    /// (RowDescription and one DataRow, plus half of another DataRow when <see cref="DisconnectMidFrame"/>) and
    /// closes the connection instead of answering the last one.
    /// </summary>
    public int? DisconnectAfterMessages { get; init; }

    /// <summary>With <see cref="DisconnectAfterMessages"/>: the last bytes sent are a DataRow cut in half.</summary>
    public bool DisconnectMidFrame { get; init; }

    /// <summary>Queries for which the backend answers ErrorResponse (<see cref="ErrorSqlState"/>) and ReadyForQuery.</summary>
    public Func<string, bool>? ErrorOn { get; init; }

    public string ErrorSqlState { get; init; } = "42P01";

    /// <summary>The query text answered with one DataRow of <see cref="LargeRowBytes"/> bytes of value.</summary>
    public string? LargeRowOn { get; init; }

    public int LargeRowBytes { get; init; } = 5 * 1024 * 1024;

    /// <summary>
    /// Queries from which on the backend answers nothing more, like a PostgreSQL stopped with SIGSTOP: it still
    /// takes in what arrives (as the kernel would buffer it) until pgproxy closes the connection.
    /// </summary>
    public Func<string, bool>? FreezeOn { get; init; }

    /// <summary>
    /// How long the backend works on a query before it answers (a slow statement); null or zero answers at once.
    /// </summary>
    public Func<string, TimeSpan?>? SlowOn { get; init; }

    /// <summary>The backend takes in the StartupMessage and never answers it (a frozen node).</summary>
    public bool FreezeAtStartup { get; init; }

    /// <summary>The query text before whose answer the backend sends a NotificationResponse with its own pid.</summary>
    public string? NotifyOn { get; init; }
}

namespace Pgproxy.Core.Backends;

/// <summary>
/// PostgreSQL refused a new connection (bad database, auth failure, too many connections…) or could not be
/// reached. Carries the SQLSTATE and text to pass on to the client, so it sees the backend's own reason.
/// </summary>
internal sealed class BackendStartupException : Exception
{
    public BackendStartupException(string sqlState, string message, string? detail = null, Exception? inner = null)
        : base(message, inner)
    {
        SqlState = sqlState;
        Detail = detail;
    }

    public string SqlState { get; }

    public string? Detail { get; }
}

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

    /// <summary>
    /// The AuthenticationRequest code of a node that asked for a secret pgproxy could not supply (3 cleartext,
    /// 5 md5, 10 SASL); null for every other refusal. Tells the client authentication what the node wants.
    /// </summary>
    public int? AuthenticationRequest { get; init; }
}

namespace Pgproxy.Core.Backends;

/// <summary>A node's ErrorResponse to a query pgproxy ran on a connection of its own.</summary>
internal sealed class BackendQueryException(string sqlState, string message) : Exception(message)
{
    public string SqlState { get; } = sqlState;
}

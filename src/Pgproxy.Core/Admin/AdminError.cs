namespace Pgproxy.Core.Admin;

/// <summary>
/// An admin command refused (not an admin, no such node, the last live node…). In replication mode pgproxy
/// answers it with an ErrorResponse of its own in place of the command's answer; the single-node pumps, which
/// only forward what the backend says, still have the backend raise it (<see cref="NodeCommands.RaiseSql"/>).
/// </summary>
internal sealed record AdminError(string SqlState, string Message, string? Hint);

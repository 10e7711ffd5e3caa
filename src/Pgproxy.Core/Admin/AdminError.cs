namespace Pgproxy.Core.Admin;

/// <summary>
/// An admin command refused (not an admin, no such node, the last live node…): pgproxy answers it with an
/// ErrorResponse of its own in place of the command's answer (the replication loop directly, the single-node pumps
/// through the session's <c>PendingAdminErrors</c>).
/// </summary>
internal sealed record AdminError(string SqlState, string Message, string? Hint);

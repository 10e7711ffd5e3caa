using Pgproxy.Core.Auth;
using Pgproxy.Core.Backends;

namespace Pgproxy.Core.Sessions;

/// <summary>
/// How an authentication attempt ended: a credential for the backends, or a refusal to send (none when the client
/// left mid-exchange). A walsender that asked the main node brings the connection it opened doing so.
/// </summary>
internal sealed record ClientAuthOutcome(BackendCredential? Credential, string? SqlState, string? Message,
    string? LogReason, bool ByHba = false, BackendConnection? WalSenderProbe = null)
{
    public static ClientAuthOutcome Success(BackendCredential credential, BackendConnection? walSenderProbe = null) =>
        new(credential, null, null, null, WalSenderProbe: walSenderProbe);

    public static ClientAuthOutcome Refuse(string sqlState, string message, string? logReason = null) =>
        new(null, sqlState, message, logReason);

    /// <summary>pool_hba.conf has no record for the client, or its record says <c>reject</c>.</summary>
    public static ClientAuthOutcome RefuseByHba(string message) =>
        new(null, Protocol.Messages.SqlState.InvalidAuthorizationSpecification, message, null, ByHba: true);

    /// <summary>The client left mid-exchange: nobody to tell.</summary>
    public static ClientAuthOutcome Gone { get; } = new(null, null, null, null);
}

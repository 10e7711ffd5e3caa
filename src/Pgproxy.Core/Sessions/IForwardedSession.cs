using Pgproxy.Core.Transport;

namespace Pgproxy.Core.Sessions;

/// <summary>
/// What the single-node pumps (<see cref="SingleNodeForwarder"/>) ask of their session: how it ends, the client's
/// activity for <c>client_idle_limit</c>, and what the client is told.
/// </summary>
internal interface IForwardedSession
{
    SessionEndReason EndReason { get; }

    /// <summary>Sets why the session ends; false when another reason came first.</summary>
    bool TrySetEndReason(SessionEndReason reason);

    void MarkClientActivity();

    Task TrySendFatalAsync(string sqlState, string message);

    /// <summary>Tells the client why pgproxy ended the session (idle limit, shutdown), as PostgreSQL does.</summary>
    Task TellClientWhyAsync(SessionEndReason end);
}

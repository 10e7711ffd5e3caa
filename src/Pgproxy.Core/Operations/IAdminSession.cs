using Pgproxy.Core.Backends;
using Pgproxy.Protocol.Messages;

namespace Pgproxy.Core.Operations;

/// <summary>
/// What an admin command needs of a session: the one that runs it (its user, its transaction) and every one
/// the reports list. The session implements it, so that the commands need not know the session type, which
/// itself calls them.
/// </summary>
internal interface IAdminSession
{
    string User { get; }

    string Database { get; }

    string RemoteAddress { get; }

    DateTimeOffset ConnectedAt { get; }

    /// <summary>The process id pgproxy gave the client in BackendKeyData (0 until the session started).</summary>
    int CancelProcessId { get; }

    /// <summary>pgpool's process status: Idle, Idle in transaction, or Execute command.</summary>
    string ActivityStatus { get; }

    /// <summary>Whole seconds since the client last sent anything, while it is idle; 0 while a request runs.</summary>
    long IdleSeconds { get; }

    /// <summary>The node that serves the session's reads, or -1.</summary>
    int LoadBalanceNodeId { get; }

    /// <summary>The transaction status last reported to the client; null before the first ReadyForQuery.</summary>
    TransactionStatus? TransactionState { get; }

    /// <summary>The session's backend connections, one per node it is connected to.</summary>
    IEnumerable<BackendConnection> Backends { get; }
}

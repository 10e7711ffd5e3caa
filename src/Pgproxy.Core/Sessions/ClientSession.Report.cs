using Pgproxy.Protocol.Messages;

namespace Pgproxy.Core.Sessions;

internal sealed partial class ClientSession
{
    /// <summary>
    /// The transaction status the client was last told: the replication loop's, or the single backend's from its
    /// last ReadyForQuery (statements the client pipelined since may have changed it). Null before the startup
    /// finished.
    /// </summary>
    public TransactionStatus? TransactionState =>
        _replication is { } replication ? replication.ClientStatus : _backend?.TransactionStatus;

    /// <summary>True when no request of the client is running: it is pgproxy's turn to wait.</summary>
    public bool IsWaitingForClient => _replication is { } replication
        ? replication.WaitingForClient
        : _forwarder?.IsWaitingForClient ?? true;

    /// <summary>pgpool's process status: Idle, Idle in transaction, or Execute command.</summary>
    public string ActivityStatus => !IsWaitingForClient ? "Execute command"
        : TransactionState is null or TransactionStatus.Idle ? "Idle"
        : "Idle in transaction";

    /// <summary>Whole seconds since the client last sent anything, while it is idle; 0 while a request runs.</summary>
    public long IdleSeconds =>
        IsWaitingForClient ? (Environment.TickCount64 - Volatile.Read(ref _lastClientActivity)) / 1000 : 0;
}

namespace Pgproxy.Core.Sessions;

/// <summary>The end of a relayed replication connection and, when the node failed, the error it failed with.</summary>
internal readonly record struct WalSenderRelayOutcome(WalSenderRelayEnd End, string? Failure = null);

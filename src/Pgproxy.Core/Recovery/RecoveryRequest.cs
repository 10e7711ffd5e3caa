namespace Pgproxy.Core.Recovery;

/// <summary>
/// One online recovery to run: bring down node <paramref name="NodeId"/> back from main. <paramref name="Wipe"/>
/// drops the node's databases first (a node that is not empty is refused without it); <paramref name="RequestedBy"/>
/// names who asked, for the log, the node event and the journal.
/// </summary>
internal sealed record RecoveryRequest(int NodeId, bool Wipe, string RequestedBy);

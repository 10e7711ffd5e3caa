using Pgproxy.Protocol.Messages;

namespace Pgproxy.Core.Routing;

/// <summary>What the router needs to know of a session: the client's transaction as PostgreSQL reports it.</summary>
/// <param name="ClientStatus">The status of the client's last ReadyForQuery.</param>
/// <param name="TransactionWrote">The client's transaction has written (or locked rows on main).</param>
/// <param name="StrictIsolation">The client's transaction runs under REPEATABLE READ or SERIALIZABLE.</param>
internal readonly record struct RouteState(TransactionStatus ClientStatus, bool TransactionWrote, bool StrictIsolation);

using Pgproxy.Core.Auth;
using Pgproxy.Core.Transport;
using Pgproxy.Protocol.Messages;

namespace Pgproxy.Core.Backends;

/// <summary>
/// How sessions open a backend connection: through the <see cref="IBackendConnector"/>, bounded by
/// <c>connect_timeout</c> as always, and also by the node's life. A node that is degenerated while pgproxy
/// connects to it (a frozen node: the kernel accepts, PostgreSQL never answers the startup) ends the attempt at
/// once, and the connection it yields is aborted the moment the node goes down later
/// (<see cref="BackendConnection.AbortWhenDown"/>), so no session waits on a node that is out.
/// </summary>
internal static class NodeConnect
{
    /// <summary>
    /// Connects to <paramref name="node"/> as <see cref="IBackendConnector.ConnectAsync"/> does. When the node goes
    /// down before the startup is over, throws a <see cref="BackendStartupException"/> with 57P03 naming why, which
    /// callers already treat as an unreachable node.
    /// </summary>
    public static async Task<BackendConnection> OpenAsync(IBackendConnector connector, BackendNode node,
        BackendPoolKey key, BackendCredential? credential, int connectTimeoutMs, EpollLoop? loop,
        CancellationToken cancellationToken)
    {
        var nodeDown = node.DownToken;
        if (nodeDown.IsCancellationRequested)
        {
            throw TakenOut(node);
        }

        BackendConnection connection;
        using (var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, nodeDown))
        {
            try
            {
                connection = await connector.ConnectAsync(node, key, credential, connectTimeoutMs, loop, linked.Token);
            }
            catch (OperationCanceledException) when (nodeDown.IsCancellationRequested
                                                     && !cancellationToken.IsCancellationRequested)
            {
                throw TakenOut(node);
            }
        }

        // The node may have gone down between the startup's end and here: the registration then aborts at once.
        connection.AbortWhenDown(nodeDown);
        return connection;
    }

    private static BackendStartupException TakenOut(BackendNode node) =>
        new(SqlState.CannotConnectNow,
            $"backend node {node.NodeId} was taken out while pgproxy was connecting to it: {node.LastStatusReason}");
}

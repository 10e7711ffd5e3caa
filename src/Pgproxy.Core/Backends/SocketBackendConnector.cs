using Pgproxy.Core.Auth;
using Pgproxy.Core.Transport;

namespace Pgproxy.Core.Backends;

/// <summary>Connects to a node over TCP or its Unix socket.</summary>
internal sealed class SocketBackendConnector : IBackendConnector
{
    public static SocketBackendConnector Instance { get; } = new();

    public Task<BackendConnection> ConnectAsync(BackendNode node, BackendPoolKey key, BackendCredential? credential,
        int connectTimeoutMs, EpollLoop? loop, CancellationToken cancellationToken) =>
        BackendConnection.OpenAsync(node.NodeId, node.Endpoint, key, credential, connectTimeoutMs, loop,
            cancellationToken);
}

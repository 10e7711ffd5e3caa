using Pgproxy.Core.Tls;
using Pgproxy.Core.Auth;
using Pgproxy.Core.Transport;

namespace Pgproxy.Core.Backends;

/// <summary>Connects to a node over TCP or its Unix socket, with TLS when <c>backend_ssl</c> asks for it.</summary>
internal sealed class SocketBackendConnector(Func<ProxyTls?> tls) : IBackendConnector
{
    public Task<BackendConnection> ConnectAsync(BackendNode node, BackendPoolKey key, BackendCredential? credential,
        int connectTimeoutMs, EpollLoop? loop, CancellationToken cancellationToken) =>
        BackendConnection.OpenAsync(node.NodeId, node.Endpoint, key, credential, connectTimeoutMs, loop, tls(),
            cancellationToken);
}

using Pgproxy.Core.Auth;
using Pgproxy.Core.Transport;

namespace Pgproxy.Core.Backends;

/// <summary>
/// Opens a new backend connection and runs its startup. Production connects a socket
/// (<see cref="SocketBackendConnector"/>); session tests and benchmarks connect in-memory pipes to a scripted
/// backend, going through the same startup code.
/// </summary>
internal interface IBackendConnector
{
    /// <summary>
    /// Connects to <paramref name="node"/> and runs the startup for <paramref name="key"/>, authenticating with
    /// <paramref name="credential"/> (null: no secret). <paramref name="loop"/> is
    /// the client session's event loop, so both its connections share a thread (null off the epoll transport).
    /// </summary>
    Task<BackendConnection> ConnectAsync(BackendNode node, BackendPoolKey key, BackendCredential? credential,
        int connectTimeoutMs, EpollLoop? loop, CancellationToken cancellationToken);
}

namespace Pgproxy.Core.Backends;

/// <summary>
/// Opens a new backend connection and runs its startup. Production connects a socket
/// (<see cref="SocketBackendConnector"/>); session tests and benchmarks connect in-memory pipes to a scripted
/// backend, going through the same startup code.
/// </summary>
internal interface IBackendConnector
{
    Task<BackendConnection> ConnectAsync(BackendNode node, BackendPoolKey key, string? password, int connectTimeoutMs,
        CancellationToken cancellationToken);
}

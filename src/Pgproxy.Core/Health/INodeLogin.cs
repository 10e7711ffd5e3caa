using Pgproxy.Core.Auth;
using Pgproxy.Core.Backends;
using Pgproxy.Core.Config;

namespace Pgproxy.Core.Health;

/// <summary>
/// What a connection of pgproxy's own to a node needs (<see cref="ServiceConnector"/>): the configuration and
/// pool_passwd in force, read at each use because a reload swaps them, and the connector. Owned here, and
/// implemented by the host, so that the folders that open such connections need not know the host.
/// </summary>
internal interface INodeLogin
{
    ProxyOptions Options { get; }

    PoolPasswd PoolPasswd { get; }

    IBackendConnector BackendConnector { get; }
}

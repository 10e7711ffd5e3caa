using Pgproxy.Core.Auth;
using Pgproxy.Core.Backends;
using Pgproxy.Core.Config;

namespace Pgproxy.Core.Sessions;

/// <summary>
/// What client authentication uses of the running proxy (<see cref="ClientAuthenticator"/>): the files that say
/// who may come in, and the main node to ask when pool_hba.conf is off.
/// </summary>
internal interface IClientAuthServices
{
    ProxyOptions Options { get; }

    BackendNodeSet Nodes { get; }

    BackendPool Pool { get; }

    IBackendConnector BackendConnector { get; }

    PoolPasswd PoolPasswd { get; }

    /// <summary>pool_hba.conf records in force, or null when client authentication is off.</summary>
    IReadOnlyList<Hba.HbaRule>? HbaRules { get; }

    /// <summary>What the main node asked each (user, database) for lately, when pool_hba.conf is off.</summary>
    MainNodeAuthCache MainNodeAuth { get; }
}

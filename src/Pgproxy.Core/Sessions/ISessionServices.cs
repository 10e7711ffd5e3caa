using Microsoft.Extensions.Logging;
using Pgproxy.Core.Auth;
using Pgproxy.Core.Backends;
using Pgproxy.Core.Config;
using Pgproxy.Core.Operations;
using Pgproxy.Core.Replication;
using Pgproxy.Core.Tls;

namespace Pgproxy.Core.Sessions;

/// <summary>
/// What a client session uses of the running proxy: the configuration and the nodes, client authentication
/// (pool_hba.conf, pool_passwd, TLS, the limits on connections still authenticating), the session registry, and
/// the services it hands on — to the admin commands it answers and to its replication phase. Built by the host.
/// </summary>
internal interface ISessionServices
{
    ProxyOptions Options { get; }

    ILoggerFactory LoggerFactory { get; }

    TimeProvider Time { get; }

    BackendNodeSet Nodes { get; }

    BackendPool Pool { get; }

    IBackendConnector BackendConnector { get; }

    PoolPasswd PoolPasswd { get; }

    /// <summary>pool_hba.conf records in force, or null when client authentication is off.</summary>
    IReadOnlyList<Hba.HbaRule>? HbaRules { get; }

    /// <summary>TLS in force, or null when it is off on both sides.</summary>
    ProxyTls? Tls { get; }

    AuthenticationLimiter Authenticating { get; }

    int MaxAuthenticating { get; }

    int MaxAuthenticatingPerAddress { get; }

    /// <summary>What the main node asked each (user, database) for lately, when pool_hba.conf is off.</summary>
    MainNodeAuthCache MainNodeAuth { get; }

    SessionRegistry Sessions { get; }

    /// <summary>Cancelled when a fast or immediate shutdown starts.</summary>
    CancellationTokenSource Shutdown { get; }

    /// <summary>What the admin commands this session answers use.</summary>
    IAdminServices Admin { get; }

    /// <summary>What the session's replication phase uses.</summary>
    IReplicationServices Replication { get; }
}

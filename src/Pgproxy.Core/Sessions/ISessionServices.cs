using Microsoft.Extensions.Logging;
using Pgproxy.Core.Auth;
using Pgproxy.Core.Operations;
using Pgproxy.Core.Replication;
using Pgproxy.Core.Tls;

namespace Pgproxy.Core.Sessions;

/// <summary>
/// What a client session uses of the running proxy: what client authentication uses (the configuration, the
/// nodes, pool_hba.conf and pool_passwd: <see cref="IClientAuthServices"/>), TLS, the limits on connections still
/// authenticating, the session registry, and the services it hands on — to the admin commands it answers and to
/// its replication phase. Built by the host.
/// </summary>
internal interface ISessionServices : IClientAuthServices
{
    ILoggerFactory LoggerFactory { get; }

    TimeProvider Time { get; }

    /// <summary>TLS in force, or null when it is off on both sides.</summary>
    ProxyTls? Tls { get; }

    AuthenticationLimiter Authenticating { get; }

    int MaxAuthenticating { get; }

    int MaxAuthenticatingPerAddress { get; }

    SessionRegistry Sessions { get; }

    /// <summary>Cancelled when a fast or immediate shutdown starts.</summary>
    CancellationTokenSource Shutdown { get; }

    /// <summary>What the admin commands this session answers use.</summary>
    IAdminServices Admin { get; }

    /// <summary>What the session's replication phase uses.</summary>
    IReplicationServices Replication { get; }
}

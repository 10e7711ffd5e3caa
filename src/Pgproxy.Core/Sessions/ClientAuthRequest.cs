using System.Net;
using System.Security.Cryptography.X509Certificates;
using Pgproxy.Core.Backends;
using Pgproxy.Core.Hba;
using Pgproxy.Core.Transport;

namespace Pgproxy.Core.Sessions;

/// <summary>
/// Who is asking to come in, as the startup phase learnt it: what pool_hba.conf matches on, the certificate the
/// <c>cert</c> method checks, and the cache key and event loop of any connection opened to ask the main node.
/// </summary>
internal sealed record ClientAuthRequest(
    string User,
    string Database,
    IPAddress? RemoteIp,
    bool IsSsl,
    X509Certificate2? ClientCertificate,
    WalSenderKind WalSender,
    BackendPoolKey Key,
    EpollLoop? Loop);

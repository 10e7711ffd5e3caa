using Microsoft.Extensions.Logging;
using Pgproxy.Core.Auth;
using Pgproxy.Core.Backends;
using Pgproxy.Core.Config;

namespace Pgproxy.Core.Catalog;

/// <summary>The services <see cref="CatalogStartup"/> uses; implemented by the host.</summary>
internal interface ICatalogServices
{
    ProxyOptions Options { get; }

    PoolPasswd PoolPasswd { get; }

    BackendNodeSet Nodes { get; }

    /// <summary>How persisting node status is going, which the writer keeps up to date.</summary>
    CatalogState Catalog { get; }

    ILoggerFactory LoggerFactory { get; }

    TimeProvider Time { get; }
}

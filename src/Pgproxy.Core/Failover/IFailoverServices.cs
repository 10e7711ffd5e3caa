using Pgproxy.Core.Backends;
using Pgproxy.Core.Config;

namespace Pgproxy.Core.Failover;

/// <summary>
/// The services <see cref="FailoverCommandRunner"/> uses: the nodes whose status changes it follows, and the
/// configuration in force (read at each change, since a reload may change the commands).
/// </summary>
internal interface IFailoverServices
{
    BackendNodeSet Nodes { get; }

    ProxyOptions Options { get; }
}

using Pgproxy.Core.Config;
using Pgproxy.IntegrationTests.Support;

namespace Pgproxy.IntegrationTests.Replication;

/// <summary>
/// A two-node test whose reads go to node 1 unless pgproxy routes them to main on purpose: node 0 has weight 0. What
/// a read balanced away from main must not see, or must still see, shows up here every time.
/// </summary>
public abstract class NodeOneReadsTestBase(TwoNodes cluster) : ReplicationTestBase(cluster)
{
    protected override ProxyOptions Configure(ProxyOptions options) => options with
    {
        Backends = [.. options.Backends.Select(b => b with { Weight = b.NodeId == 0 ? 0 : 1 })],
    };
}

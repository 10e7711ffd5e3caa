using Pgproxy.Core.Backends;
using Pgproxy.Core.Config;

namespace Pgproxy.Core.Tests.Backends;

public sealed class BackendNodeTests
{
    private static BackendNodeSet Nodes() => new(
        [new BackendConfig { NodeId = 0, Hostname = "h" }, new BackendConfig { NodeId = 1, Hostname = "h" }],
        TimeProvider.System);

    [Fact]
    public void SetStatusUp_WaitingNode_BecomesUp()
    {
        var node = Nodes().Find(1)!;

        Assert.True(node.SetStatus(BackendStatus.Up, TimeProvider.System));
        Assert.Equal(BackendStatus.Up, node.Status);
    }

    [Fact]
    public void SetStatusUp_AfterAnotherSessionDegeneratedTheNode_LeavesItDown()
    {
        var nodes = Nodes();
        var node = nodes.Find(1)!;
        Assert.True(nodes.Degenerate(node, "read failed"));

        // A connection started before the failure succeeds afterwards.
        Assert.False(node.SetStatus(BackendStatus.Up, TimeProvider.System));

        Assert.Equal(BackendStatus.Down, node.Status);
        Assert.Equal("read failed", node.LastStatusReason);
    }
}

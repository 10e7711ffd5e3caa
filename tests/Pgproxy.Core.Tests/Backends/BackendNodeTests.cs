using Pgproxy.Core.Backends;
using Pgproxy.Core.Config;

namespace Pgproxy.Core.Tests.Backends;

public sealed class BackendNodeTests
{
    private static BackendNodeSet Nodes() => new(
        [new BackendConfig { NodeId = 0, Hostname = "h" }, new BackendConfig { NodeId = 1, Hostname = "h" }],
        TimeProvider.System);

    [Fact]
    public void MarkUp_WaitingNode_BecomesUpAndIsReported()
    {
        var nodes = Nodes();
        var node = nodes.Find(1)!;
        var changes = new List<NodeStatusChange>();
        nodes.StatusChanged += changes.Add;

        Assert.True(nodes.MarkUp(node, "a session reached it"));

        Assert.Equal(BackendStatus.Up, node.Status);
        var change = Assert.Single(changes);
        Assert.Equal((1, BackendStatus.Waiting, BackendStatus.Up, "a session reached it", 0, 0),
            (change.NodeId, change.Previous, change.Current, change.Reason, change.MainBefore, change.MainAfter));
    }

    [Fact]
    public void MarkUp_NodeAlreadyUp_ReportsNothing()
    {
        var nodes = Nodes();
        var node = nodes.Find(1)!;
        nodes.MarkUp(node, "first");
        var changes = new List<NodeStatusChange>();
        nodes.StatusChanged += changes.Add;

        Assert.False(nodes.MarkUp(node, "second"));

        Assert.Empty(changes);
    }

    [Fact]
    public void MarkUp_AfterAnotherSessionDegeneratedTheNode_LeavesItDown()
    {
        var nodes = Nodes();
        var node = nodes.Find(1)!;
        Assert.True(nodes.Degenerate(node, "read failed"));

        // A connection started before the failure succeeds afterwards.
        Assert.False(nodes.MarkUp(node, "a session reached it"));

        Assert.Equal(BackendStatus.Down, node.Status);
        Assert.Equal("read failed", node.LastStatusReason);
    }
}

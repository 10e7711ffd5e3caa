using Pgproxy.Core.Backends;
using Pgproxy.Core.Catalog;
using Pgproxy.Core.Config;

namespace Pgproxy.Core.Tests.Catalog;

public sealed class NodeStatusRestoreTests
{
    private static readonly DateTimeOffset Earlier = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Later = Earlier.AddMinutes(5);

    private static BackendNodeSet Nodes(int count) => new(
        Enumerable.Range(0, count).Select(i => new BackendConfig { NodeId = i, Hostname = "h", Port = 5432 + i }),
        TimeProvider.System);

    [Fact]
    public void Decide_OnlyTheFileSaysDown_NodeStaysDown()
    {
        var nodes = Nodes(2);

        var restored = NodeStatusRestore.Decide(nodes.Nodes, [Saved(1, BackendStatus.Down, Earlier)], [],
            out var ignored);

        Assert.False(ignored);
        Assert.Equal([new RestoredNode(Saved(1, BackendStatus.Down, Earlier), NodeStatusRestore.FromStatusFile)],
            restored);
    }

    [Fact]
    public void Decide_FileMissingButCatalogSaysDown_NodeStaysDown()
    {
        var nodes = Nodes(2);

        var restored = NodeStatusRestore.Decide(nodes.Nodes, [], [Saved(1, BackendStatus.Down, Earlier)], out _);

        Assert.Equal(NodeStatusRestore.FromCatalog, Assert.Single(restored).Source);
    }

    [Theory]
    [InlineData(true)] // file later, says down; the catalog's earlier record says up
    [InlineData(false)] // file later, says up: attached after the catalog's down
    public void Decide_FileIsLater_FileWins(bool down)
    {
        var nodes = Nodes(2);
        var file = down ? BackendStatus.Down : BackendStatus.Up;
        var catalog = down ? BackendStatus.Up : BackendStatus.Down;

        var restored = NodeStatusRestore.Decide(nodes.Nodes, [Saved(1, file, Later)], [Saved(1, catalog, Earlier)],
            out _);

        Assert.Equal(down, restored.Count == 1);
    }

    [Fact]
    public void Decide_CatalogIsLater_CatalogWins()
    {
        var nodes = Nodes(2);

        var restored = NodeStatusRestore.Decide(nodes.Nodes, [Saved(1, BackendStatus.Up, Earlier)],
            [Saved(1, BackendStatus.Down, Later)], out _);

        Assert.Equal(NodeStatusRestore.FromCatalog, Assert.Single(restored).Source);
    }

    [Fact]
    public void Decide_SameTime_FileWins()
    {
        var nodes = Nodes(2);

        var restored = NodeStatusRestore.Decide(nodes.Nodes, [Saved(1, BackendStatus.Up, Earlier)],
            [Saved(1, BackendStatus.Down, Earlier)], out _);

        Assert.Empty(restored);
    }

    [Fact]
    public void Decide_EveryNodeDown_IgnoresTheSavedStatusAsPgpoolDoes()
    {
        var nodes = Nodes(2);

        var restored = NodeStatusRestore.Decide(nodes.Nodes, [Saved(0, BackendStatus.Down, Earlier)],
            [Saved(1, BackendStatus.Down, Earlier)], out var ignored);

        Assert.True(ignored);
        Assert.Empty(restored);
    }

    [Fact]
    public void Decide_UnconfiguredNodeIds_AreIgnored()
    {
        var nodes = Nodes(2);

        var restored = NodeStatusRestore.Decide(nodes.Nodes, [Saved(7, BackendStatus.Down, Earlier)], [],
            out var ignored);

        Assert.False(ignored);
        Assert.Empty(restored);
    }

    [Fact]
    public void Apply_SetsDownWithSavedTimeAndReason_WithoutReportingAChange()
    {
        var nodes = Nodes(2);
        var changes = 0;
        nodes.StatusChanged += _ => changes++;

        NodeStatusRestore.Apply(nodes,
            [
                new RestoredNode(new SavedNodeStatus(1, BackendStatus.Down, Earlier, "diverged"),
                    NodeStatusRestore.FromStatusFile),
            ]);

        var node = nodes.Find(1)!;
        Assert.Equal(BackendStatus.Down, node.Status);
        Assert.Equal(Earlier, node.LastStatusChange);
        Assert.Equal("diverged", node.LastStatusReason);
        Assert.Equal(0, nodes.MainNode!.NodeId);
        Assert.Equal(0, changes);
    }

    private static SavedNodeStatus Saved(int id, BackendStatus status, DateTimeOffset at) => new(id, status, at, "r");
}

namespace Pgproxy.Core.Tests.Architecture;

/// <summary>
/// The folders of src/Pgproxy.Core form layers: no folder uses, directly or through others, a folder that uses
/// it, and Hosting, the composition root, is used by none (issue 12). Read from the source, so it runs in
/// milliseconds and fails on the commit that adds a cycle, naming the files behind each edge of it.
/// </summary>
public sealed class FolderDependencyTests
{
    /// <summary>Edges allowed to close a cycle: none. (Each would need a comment saying why it must.)</summary>
    private static readonly HashSet<(string From, string To)> Allowed = [];

    private static readonly Lazy<FolderGraph> Graph = new(() => FolderGraph.Read(CoreDirectory()));

    [Fact]
    public void Folders_HaveNoCycle()
    {
        var cycle = Graph.Value.FindCycle(Allowed);

        Assert.True(cycle is null, cycle is null ? "" : "folder cycle: " + Graph.Value.Describe(cycle));
    }

    [Fact]
    public void Hosting_IsUsedByNoFolder()
    {
        var users = Graph.Value.Folders
            .Where(folder => Graph.Value.HasEdge(folder, "Hosting") && !Allowed.Contains((folder, "Hosting")))
            .Select(folder => $"{folder} ({Graph.Value.EdgesFrom(folder)["Hosting"]})")
            .ToList();

        Assert.True(users.Count == 0,
            "Hosting is the composition root, but is used by: " + string.Join(", ", users));
    }

    [Fact]
    public void Graph_SeesTheFoldersAndTheirEdges()
    {
        // Guards the reading itself: a graph read wrong (no files, no edges) would have no cycle either.
        Assert.Contains("Sessions", Graph.Value.Folders);
        Assert.True(Graph.Value.HasEdge("Sessions", "Replication")); // using Pgproxy.Core.Replication;
        Assert.True(Graph.Value.HasEdge("Hosting", "Sessions"));
        Assert.False(Graph.Value.HasEdge("Config", "Hosting"));
    }

    [Fact]
    public void FindCycle_NamesTheCycle_AndSkipsIgnoredEdges()
    {
        var graph = FolderGraph.FromEdges(("A", "B"), ("B", "C"), ("C", "A"), ("C", "D"));

        Assert.Equal(["A", "B", "C", "A"], graph.FindCycle(new HashSet<(string, string)>()));
        Assert.Null(graph.FindCycle(new HashSet<(string, string)> { ("C", "A") }));
        Assert.Equal("A -> B ((given)) -> A ((given))", FolderGraph.FromEdges(("A", "B"), ("B", "A"))
            .Describe(["A", "B", "A"]));
    }

    /// <summary>src/Pgproxy.Core of this checkout, under the directory of Pgproxy.sln found upward from here.</summary>
    private static string CoreDirectory()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null;
             directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Pgproxy.sln")))
            {
                return Path.Combine(directory.FullName, "src", "Pgproxy.Core");
            }
        }

        throw new DirectoryNotFoundException("no Pgproxy.sln above " + AppContext.BaseDirectory);
    }
}

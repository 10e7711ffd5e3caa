using Pgproxy.Core.Consistency;

namespace Pgproxy.Core.Tests.Consistency;

/// <summary>The chunk loop and its findings, over scripted snapshots answering the exact SQL of TableQueries.</summary>
public sealed class TableRowComparerTests
{
    private static readonly CatalogColumn Id = new("id", "integer", "integer", true);
    private static readonly CatalogRelation Table = new("public.t", "public", "t", false, 5, [Id], [Id]);
    private static readonly TableQueries Sql = new(Table);

    [Fact]
    public async Task ChunksFromMain_DifferingRangesThenKeys_OnTheNodesOwnId()
    {
        KeyRange first = new(null, ["3"]), second = new(["3"], ["5"]), last = new(["5"], null);
        var main = new ScriptedSnapshot(0, Script(new()
        {
            [Sql.NextBoundary(null, 2)] = [["3"]],
            [Sql.NextBoundary(["3"], 2)] = [["5"]],
            [Sql.NextBoundary(["5"], 2)] = [],
            [Sql.RangeHash(first)] = [["2", "10"]],
            [Sql.RangeHash(second)] = [["2", "20"]],
            [Sql.RangeHash(last)] = [["1", "5"]],
            [Sql.RangeRows(second)] = [["3", "h3"], ["4", "h4"]],
            [Sql.RangeRows(last)] = [["5", "h5"]],
        }));
        var node = new ScriptedSnapshot(3, Script(new()
        {
            [Sql.RangeHash(first)] = [["2", "10"]],
            [Sql.RangeHash(second)] = [["2", "21"]],
            [Sql.RangeHash(last)] = [["2", "-9"]],
            [Sql.RangeRows(second)] = [["3", "h3"], ["4", "other"]],
            [Sql.RangeRows(last)] = [["5", "h5"], ["6", "h6"]],
        }));
        var progress = new CheckProgress(TimeProvider.System);
        var comparer = new TableRowComparer(new CheckSettings(0, ChunkRows: 2), progress, "db");

        var (digests, findings) = await comparer.CompareAsync(Table, Readers(main, node), CancellationToken.None);

        var finding = Assert.Single(findings);
        Assert.Equal((FindingKind.RowsDiffer, "db", "public.t", 3, "rows 5 on node 0, 6 on node 3"),
            (finding.Kind, finding.Database, finding.Relation, finding.NodeId, finding.Detail));
        Assert.Equal(["(id) [3, 5)", "(id) [5, +inf)"], finding.Ranges);
        Assert.Equal(["id=4 differs", "id=6 only on node 3"], finding.Keys);
        Assert.Equal(["0 5 35", "3 6 22"], digests.Select(d => $"{d.NodeId} {d.Rows} {d.Hash}"));
        Assert.Equal(["0 5 5 True", "3 6 6 True"],
            progress.Rows().Select(r => $"{r.NodeId} {r.RowsDone} {r.RowsTotal} {r.Finished}"));
        Assert.DoesNotContain(node.Queries, q => q.Contains("OFFSET", StringComparison.Ordinal));
    }

    [Fact]
    public async Task BoundaryThatDoesNotMoveOn_RestHashedAsOneLastRange_NoEndlessWalk()
    {
        KeyRange first = new(null, ["3"]), rest = new(["3"], null);
        var answers = new Dictionary<string, string?[][]>
        {
            [Sql.NextBoundary(null, 2)] = [["3"]],
            [Sql.NextBoundary(["3"], 2)] = [["3"]],
            [Sql.RangeHash(first)] = [["2", "10"]],
            [Sql.RangeHash(rest)] = [["3", "20"]],
        };
        var main = new ScriptedSnapshot(0, Script(answers));
        var node = new ScriptedSnapshot(1, Script(answers));
        var comparer = new TableRowComparer(new CheckSettings(0, ChunkRows: 2), new CheckProgress(TimeProvider.System), "db");

        var (digests, findings) = await comparer.CompareAsync(Table, Readers(main, node), CancellationToken.None);

        Assert.Empty(findings);
        Assert.Equal(["0 5 30", "1 5 30"], digests.Select(d => $"{d.NodeId} {d.Rows} {d.Hash}"));
    }

    [Fact]
    public async Task NoPrimaryKey_OneWholeTableHash_NoRanges()
    {
        var table = Table with { PrimaryKey = [] };
        var whole = new TableQueries(table).RangeHash(new KeyRange(null, null));
        var main = new ScriptedSnapshot(0, Script(new() { [whole] = [["4", "100"]] }));
        var node = new ScriptedSnapshot(1, Script(new() { [whole] = [["4", "101"]] }));
        var comparer = new TableRowComparer(new CheckSettings(0), new CheckProgress(TimeProvider.System), "db");

        var (_, findings) = await comparer.CompareAsync(table, Readers(main, node), CancellationToken.None);

        var finding = Assert.Single(findings);
        Assert.Equal("same count, different contents", finding.Detail);
        Assert.Empty(finding.Ranges);
        Assert.Empty(finding.Keys);
        Assert.Equal([whole], main.Queries);
    }

    private static List<NodeReader> Readers(params ScriptedSnapshot[] nodes) =>
        [.. nodes.Select(n => new NodeReader(n, new RatePacer(0, TimeProvider.System)))];

    private static Func<string, IReadOnlyList<string?[]>?> Script(Dictionary<string, string?[][]> answers) =>
        sql => answers.GetValueOrDefault(sql);
}

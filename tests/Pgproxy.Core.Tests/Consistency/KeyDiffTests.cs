using Pgproxy.Core.Consistency;

namespace Pgproxy.Core.Tests.Consistency;

public sealed class KeyDiffTests
{
    private static readonly CatalogColumn[] Id = [new("id", "integer", "integer", true)];

    [Fact]
    public void Compare_MissingDiffersAndOnlyOnNode_InKeyOrder()
    {
        var main = Rows(("1", "h1"), ("2", "h2"), ("4", "h4"), ("5", "h5"));
        var node = Rows(("1", "h1"), ("2", "other"), ("3", "h3"), ("5", "h5"), ("6", "h6"));

        Assert.Equal(["id=2 differs", "id=3 only on node 1", "id=4 missing on node 1", "id=6 only on node 1"],
            KeyDiff.Compare(Id, main, node, 1, 20));
    }

    [Fact]
    public void Compare_StopsAtTheLimit()
    {
        var main = Rows(("1", "a"), ("2", "a"), ("3", "a"));

        Assert.Equal(["id=1 missing on node 2", "id=2 missing on node 2"], KeyDiff.Compare(Id, main, [], 2, 2));
    }

    [Fact]
    public void Compare_SidesSortedDifferently_StillRightVerdicts()
    {
        var main = Rows(("a", "1"), ("b", "2"), ("c", "3"));
        var node = Rows(("c", "3"), ("b", "changed"), ("a", "1"));

        Assert.Equal(["id=b differs"], KeyDiff.Compare(Id, main, node, 1, 20));
    }

    private static List<KeyDiff.KeyedRow> Rows(params (string Key, string Hash)[] rows) =>
        [.. rows.Select(r => new KeyDiff.KeyedRow([r.Key], r.Hash))];
}

using Pgproxy.Core.Consistency;

namespace Pgproxy.Core.Tests.Consistency;

public sealed class KeyRangeTests
{
    private static readonly CatalogColumn[] Id = [new("id", "integer", "integer", true)];

    private static readonly CatalogColumn[] Pair =
        [new("a", "integer", "integer", true), new("\"B\"", "character varying(5)", "character varying", true)];

    [Fact]
    public void Describe_HalfOpen_WithOpenEnds()
    {
        Assert.Equal("(id) [1001, 2001)", new KeyRange(["1001"], ["2001"]).Describe(Id));
        Assert.Equal("(id) (-inf, 1001)", new KeyRange(null, ["1001"]).Describe(Id));
        Assert.Equal("(id) [24001, +inf)", new KeyRange(["24001"], null).Describe(Id));
        Assert.Equal("(a, \"B\") [(1, x), (2, y))", new KeyRange(["1", "x"], ["2", "y"]).Describe(Pair));
    }

    [Fact]
    public void Where_RowComparison_WithLiteralsCastToTheBaseType()
    {
        Assert.Equal("", new KeyRange(null, null).Where(Id));
        Assert.Equal(" WHERE (id) >= ('1001'::integer) AND (id) < ('2001'::integer)",
            new KeyRange(["1001"], ["2001"]).Where(Id));
        Assert.Equal(" WHERE (a, \"B\") < ('2'::integer, 'it''s'::character varying)",
            new KeyRange(null, ["2", "it's"]).Where(Pair));
    }

    [Fact]
    public void DescribeKey_OneColumn_OrComposite()
    {
        Assert.Equal("id=17", KeyRange.DescribeKey(Id, ["17"]));
        Assert.Equal("(a, \"B\")=(1, x)", KeyRange.DescribeKey(Pair, ["1", "x"]));
    }
}

using Pgproxy.Core.Consistency;

namespace Pgproxy.Core.Tests.Consistency;

public sealed class ColumnComparerTests
{
    private static readonly CatalogColumn Id = new("id", "integer", "integer", true);
    private static readonly CatalogColumn V = new("v", "text", "text", false);

    [Fact]
    public void Alike_Null() =>
        Assert.Null(ColumnComparer.Difference(Table([Id, V], [Id]), 0, Table([Id, V], [Id]), 1));

    [Fact]
    public void TypeNotNullOrderAndKey_EachSaid()
    {
        Assert.Equal("v text on node 0, character varying(3) on node 1",
            ColumnComparer.Difference(Table([Id, V], [Id]), 0, Table([Id, V with { Type = "character varying(3)" }], [Id]), 1));
        Assert.Equal("v nullable on node 0, NOT NULL on node 2",
            ColumnComparer.Difference(Table([Id, V], [Id]), 0, Table([Id, V with { NotNull = true }], [Id]), 2));
        Assert.Equal("columns (id, v) on node 0, (v, id) on node 1",
            ColumnComparer.Difference(Table([Id, V], [Id]), 0, Table([V, Id], [Id]), 1));
        Assert.Equal("primary key (id) on node 0, none on node 1",
            ColumnComparer.Difference(Table([Id, V], [Id]), 0, Table([Id, V], []), 1));
    }

    private static CatalogRelation Table(CatalogColumn[] columns, CatalogColumn[] key) =>
        new("public.t", "public", "t", false, 0, columns, key);
}

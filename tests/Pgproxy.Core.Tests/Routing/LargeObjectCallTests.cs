using Pgproxy.Core.Routing;

namespace Pgproxy.Core.Tests.Routing;

/// <summary>
/// <see cref="StatementClassification.LargeObjects"/>: which statements let the server pick a large object's OID
/// (issue 16 item 5), whether main's answer can give that OID to the others, and the text they then get.
/// </summary>
public sealed class LargeObjectCallTests
{
    [Theory]
    [InlineData("SELECT lo_creat(-1)", "SELECT lo_create(77) AS lo_creat")]
    [InlineData("select LO_CREAT(42) as loid;", "select lo_create(77) as loid;")]
    [InlineData("SELECT pg_catalog.lo_creat(-1) x", "SELECT pg_catalog.lo_create(77) x")]
    [InlineData("SELECT lo_create(0)", "SELECT lo_create(77)")]
    [InlineData("SELECT lo_create('0'::oid) AS o", "SELECT lo_create(77) AS o")]
    [InlineData("SELECT * FROM lo_create(0)", "SELECT * FROM lo_create(77)")]
    [InlineData("SELECT * FROM lo_creat(-1)", "SELECT * FROM lo_create(77) AS lo_creat")]
    [InlineData("SELECT lo_import('/tmp/a,b')", "SELECT lo_import('/tmp/a,b', 77)")]
    [InlineData("SELECT lo_import('/tmp/x', 0)", "SELECT lo_import('/tmp/x', 77)")]
    [InlineData("SELECT lo_from_bytea(0, '\\xdeadbeef') AS newloid",
        "SELECT lo_from_bytea(77, '\\xdeadbeef') AS newloid")]
    [InlineData("SELECT lo_from_bytea(0, lo_get(16400)) AS newloid_2 ",
        "SELECT lo_from_bytea(77, lo_get(16400)) AS newloid_2 ")]
    public void SingleAllocatingCall_OthersGetMainsOid(string sql, string others)
    {
        var call = StatementClassifier.Classify(sql).LargeObjects;

        Assert.NotNull(call);
        Assert.Null(call.Refusal);
        Assert.Equal(0, call.Parameter);
        Assert.Equal(others, call.OthersText(77));
    }

    [Theory]
    [InlineData("INSERT INTO lotest_stash_values (loid) SELECT lo_creat(42)")]
    [InlineData("SELECT lo_from_bytea(0, lo_get(loid)) AS newloid FROM lotest_stash_values")]
    [InlineData("SELECT lo_creat(-1), lo_creat(-1)")]
    [InlineData("SELECT lo_creat(-1) FROM generate_series(1, 3)")]
    [InlineData("SELECT lo_create(id) FROM t")]
    [InlineData("SELECT lo_create(0); SELECT 1")]
    [InlineData("UPDATE t SET loid = lo_import('/tmp/x')")]
    [InlineData("SELECT lo_creat(-1) WHERE true")]
    [InlineData("SELECT lo_creat(-1)::text")]
    [InlineData("WITH x AS (SELECT 1) SELECT lo_create(0)")]
    [InlineData("EXPLAIN ANALYZE SELECT lo_creat(-1)")]
    [InlineData("SELECT lo_create(-0.5 + 1)")]
    [InlineData("SELECT lo_creat(-1) AS x FROM nowhere WHERE false AND lo_create(1) > 0")]
    public void OtherShapes_AreRefused(string sql)
    {
        var call = StatementClassifier.Classify(sql).LargeObjects;

        Assert.NotNull(call);
        Assert.Contains("OID would differ between nodes", call.Refusal, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("SELECT lo_create(4242)")]
    [InlineData("SELECT lo_import('/tmp/x', 4242)")]
    [InlineData("SELECT lo_from_bytea(4242, '\\x00')")]
    [InlineData("INSERT INTO t SELECT lo_create(4242)")]
    [InlineData("SELECT lo_open(4242, 131072), lo_unlink(4243), lo_get(1), lowrite(0, 'x')")]
    [InlineData("EXPLAIN SELECT lo_creat(-1)")]
    [InlineData("CREATE VIEW v AS SELECT lo_creat(-1)")]
    public void GivenOidsAndOtherFunctions_AreLeftAlone(string sql)
    {
        Assert.Null(StatementClassifier.Classify(sql).LargeObjects);
    }

    [Theory]
    [InlineData("SELECT * FROM lo_create($1)", 1)]
    [InlineData("SELECT * FROM lo_import($1, $2)", 2)]
    [InlineData("select lo_from_bytea($1::oid, $2)", 1)]
    public void ParameterOid_IsLeftToTheBind(string sql, int parameter)
    {
        var call = StatementClassifier.Classify(sql).LargeObjects;

        Assert.NotNull(call);
        Assert.Null(call.Refusal);
        Assert.Equal(parameter, call.Parameter);
    }
}

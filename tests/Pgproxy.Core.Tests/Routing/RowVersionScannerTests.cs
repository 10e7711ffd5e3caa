using Pgproxy.Core.Routing;

namespace Pgproxy.Core.Tests.Routing;

/// <summary>
/// xmin, EF Core's concurrency token on PostgreSQL, differs from node to node: a read of it goes to main, and an
/// UPDATE or DELETE that compares it at the top of its WHERE names the comparison, for the others to get main's
/// outcome instead.
/// </summary>
public sealed class RowVersionScannerTests
{
    [Theory]
    [InlineData("SELECT b.\"Id\", b.\"Name\", b.xmin FROM \"Blogs\" AS b WHERE b.\"Id\" = $1 LIMIT 1")]
    [InlineData("SELECT xmin, * FROM t")]
    [InlineData("select \"xmin\" from t")]
    [InlineData("SELECT 1 FROM t WHERE xmin = 5")]
    public void A_read_naming_xmin_goes_to_main(string sql)
    {
        var statement = StatementClassifier.Classify(sql);

        Assert.Equal(StatementKind.Read, statement.Kind);
        Assert.True(statement.ReadsRowVersions);
        Assert.True(Router.ReadsOnMain(statement));
    }

    [Theory]
    [InlineData("SELECT pg_snapshot_xmin(pg_current_snapshot())")]
    [InlineData("SELECT 'xmin' FROM t")]
    [InlineData("SELECT id FROM t")]
    public void Other_reads_are_balanced(string sql)
    {
        var statement = StatementClassifier.Classify(sql);

        Assert.False(statement.ReadsRowVersions);
        Assert.Empty(statement.RowVersionChecks);
    }

    [Theory]
    [InlineData("UPDATE \"Blogs\" SET \"Name\" = $1 WHERE \"Id\" = $2 AND xmin = $3 RETURNING xmin;", "xmin = $3")]
    [InlineData("DELETE FROM \"Blogs\" WHERE \"Id\" = $1 AND xmin = $2;", "xmin = $2")]
    [InlineData("UPDATE t SET n = 1 WHERE xmin = '1234' AND id = 7", "xmin = '1234'")]
    [InlineData("UPDATE t AS b SET n = 1 WHERE b.id = 7 AND b.xmin = 1234", "b.xmin = 1234")]
    [InlineData("DELETE FROM t WHERE $2 = t.\"xmin\"", "$2 = t.\"xmin\"")]
    [InlineData("UPDATE t SET n = 1 WHERE (a OR b) AND xmin = $1 RETURNING NOT x OR y", "xmin = $1")]
    public void A_write_comparing_xmin_names_the_comparison(string sql, string comparison)
    {
        var statement = StatementClassifier.Classify(sql);

        var check = Assert.Single(statement.RowVersionChecks);
        Assert.Equal(comparison, sql.Substring(check.Start, check.Length));
        Assert.False(statement.ReadsRowVersions);
    }

    [Theory]
    [InlineData("UPDATE t SET n = 1 WHERE id = 7 OR xmin = $1")] // under OR: true there would change every row
    [InlineData("UPDATE t SET n = 1 WHERE NOT xmin = $1")]
    [InlineData("UPDATE t SET n = 1 WHERE a OR b AND xmin = $1")] // AND binds first: true there matches b's rows
    [InlineData("UPDATE t SET n = 1 WHERE a IS NOT NULL AND xmin = $1")]
    [InlineData("UPDATE t SET n = 1 WHERE xmin = $1::xid")] // a cast after the value: left as written
    [InlineData("UPDATE t SET n = (SELECT count(*) FROM u WHERE xmin = $1)")] // a subquery's
    [InlineData("UPDATE t SET n = 1 WHERE id IN (SELECT id FROM u WHERE xmin = $1)")]
    [InlineData("INSERT INTO t SELECT * FROM u WHERE xmin = $1")]
    [InlineData("CREATE FUNCTION f() RETURNS void LANGUAGE sql BEGIN ATOMIC SELECT 1; UPDATE t SET n = 1 WHERE xmin = 5; END")]
    public void Comparisons_it_cannot_replace_are_left(string sql)
    {
        Assert.Empty(StatementClassifier.Classify(sql).RowVersionChecks);
    }

    [Fact]
    public void Each_statement_of_a_string_is_looked_at()
    {
        const string sql = "UPDATE a SET n = 1 WHERE id = 1 AND xmin = 10; SELECT 1; DELETE FROM b WHERE xmin = 11";

        var checks = StatementClassifier.Classify(sql).RowVersionChecks;

        Assert.Equal(["xmin = 10", "xmin = 11"], checks.Select(c => sql.Substring(c.Start, c.Length)));
    }
}

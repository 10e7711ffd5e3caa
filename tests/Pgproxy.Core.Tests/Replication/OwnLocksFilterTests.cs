using System.Text;
using Pgproxy.Core.Replication;

namespace Pgproxy.Core.Tests.Replication;

/// <summary>
/// Reads of pg_locks lose insert_lock's own advisory rows (the regression suite's advisory_lock test counted them):
/// every reference to the view as a relation becomes the filtered subquery, aliased as it was, and nothing else in
/// the statement changes.
/// </summary>
public sealed class OwnLocksFilterTests
{
    private const string Filtered =
        "(SELECT * FROM pg_catalog.pg_locks WHERE NOT (locktype = 'advisory' AND classid = '1885826168'" +
        "::pg_catalog.oid AND objsubid = 2))";

    [Theory]
    [InlineData("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'",
        "SELECT count(*) FROM " + Filtered + " AS pg_locks WHERE locktype = 'advisory'")]
    [InlineData("select * from PG_CATALOG.PG_LOCKS", "select * from " + Filtered + " AS pg_locks")]
    [InlineData("SELECT l.mode FROM pg_locks l JOIN pg_class c ON l.relation = c.oid",
        "SELECT l.mode FROM " + Filtered + " l JOIN pg_class c ON l.relation = c.oid")]
    [InlineData("SELECT x.mode FROM pg_locks AS x", "SELECT x.mode FROM " + Filtered + " AS x")]
    [InlineData("SELECT pg_locks.mode FROM pg_locks, pg_class",
        "SELECT pg_locks.mode FROM " + Filtered + " AS pg_locks, pg_class")]
    [InlineData("SELECT relname FROM pg_locks l, pg_class c WHERE l.relation = c.oid",
        "SELECT relname FROM " + Filtered + " l, pg_class c WHERE l.relation = c.oid")]
    [InlineData("SELECT * FROM \"pg_locks\" JOIN t USING (pid)",
        "SELECT * FROM " + Filtered + " AS pg_locks JOIN t USING (pid)")]
    [InlineData("SELECT count(*) FROM pg_locks", "SELECT count(*) FROM " + Filtered + " AS pg_locks")]
    public void A_relation_reference_is_filtered_and_keeps_its_name(string sql, string expected) =>
        Assert.Equal(expected, OwnLocksFilter.Rewrite(sql));

    [Theory]
    [InlineData("SELECT 'pg_locks'")]
    [InlineData("SELECT 1 -- FROM pg_locks")]
    [InlineData("SELECT * FROM myschema.pg_locks")]
    [InlineData("SELECT \"PG_LOCKS\" FROM t")]
    [InlineData("SELECT pg_locks(1)")]
    [InlineData("SELECT $$ FROM pg_locks $$")]
    public void Text_that_is_not_the_view_stays(string sql) => Assert.Null(OwnLocksFilter.Rewrite(sql));

    [Theory]
    [InlineData("SELECT * FROM pg_locks", true)]
    [InlineData("SELECT * FROM Pg_Locks", true)]
    [InlineData("SELECT * FROM pg_stat_activity", false)]
    [InlineData("SELECT 1", false)]
    [InlineData("_locks", false)]
    public void The_byte_test_lets_statements_without_the_name_pass(string sql, bool mayName) =>
        Assert.Equal(mayName, OwnLocksFilter.MayName(Encoding.UTF8.GetBytes(sql)));
}

using Pgproxy.Core.Determinism;
using Pgproxy.Core.Routing;

namespace Pgproxy.Core.Tests.Determinism;

public sealed class TimestampRewriterTests
{
    private const string Ts = "2026-11-22 10:11:12.123456+00";

    private static string Rewrite(string sql) =>
        TimestampRewriter.Rewrite(sql, StatementClassifier.Classify(sql).TimeFunctions, Ts);

    [Theory]
    [InlineData("INSERT INTO t VALUES (now())",
        "INSERT INTO t VALUES (('2026-11-22 10:11:12.123456+00'::timestamptz))")]
    [InlineData("INSERT INTO t VALUES (pg_catalog.now())",
        "INSERT INTO t VALUES (('2026-11-22 10:11:12.123456+00'::timestamptz))")]
    [InlineData("INSERT INTO t VALUES (transaction_timestamp())",
        "INSERT INTO t VALUES (('2026-11-22 10:11:12.123456+00'::timestamptz))")]
    [InlineData("UPDATE t SET ts = CURRENT_TIMESTAMP",
        "UPDATE t SET ts = ('2026-11-22 10:11:12.123456+00'::timestamptz)")]
    [InlineData("UPDATE t SET ts = CURRENT_TIMESTAMP(3)",
        "UPDATE t SET ts = ('2026-11-22 10:11:12.123456+00'::timestamptz(3))")]
    [InlineData("UPDATE t SET d = CURRENT_DATE",
        "UPDATE t SET d = ('2026-11-22 10:11:12.123456+00'::timestamptz::date)")]
    [InlineData("UPDATE t SET c = CURRENT_TIME",
        "UPDATE t SET c = ('2026-11-22 10:11:12.123456+00'::timestamptz::timetz)")]
    [InlineData("UPDATE t SET c = CURRENT_TIME(2)",
        "UPDATE t SET c = ('2026-11-22 10:11:12.123456+00'::timestamptz::timetz(2))")]
    [InlineData("UPDATE t SET l = LOCALTIMESTAMP",
        "UPDATE t SET l = ('2026-11-22 10:11:12.123456+00'::timestamptz::timestamp)")]
    [InlineData("UPDATE t SET l = LOCALTIMESTAMP(0)",
        "UPDATE t SET l = ('2026-11-22 10:11:12.123456+00'::timestamptz::timestamp(0))")]
    [InlineData("UPDATE t SET l = LOCALTIME",
        "UPDATE t SET l = ('2026-11-22 10:11:12.123456+00'::timestamptz::time)")]
    [InlineData("UPDATE t SET l = LOCALTIME(6)",
        "UPDATE t SET l = ('2026-11-22 10:11:12.123456+00'::timestamptz::time(6))")]
    // 'now' and the day words become typed values that the cast after them converts in the session's time zone.
    [InlineData("INSERT INTO t VALUES ('now'::timestamp)",
        "INSERT INTO t VALUES (('2026-11-22 10:11:12.123456+00'::timestamptz)::timestamp)")]
    [InlineData("INSERT INTO t VALUES ('now'::date)",
        "INSERT INTO t VALUES (('2026-11-22 10:11:12.123456+00'::timestamptz)::date)")]
    [InlineData("INSERT INTO t VALUES (CAST('now' AS time))",
        "INSERT INTO t VALUES (CAST(('2026-11-22 10:11:12.123456+00'::timestamptz) AS time))")]
    [InlineData("INSERT INTO t VALUES (timestamptz 'now')",
        "INSERT INTO t VALUES ((('2026-11-22 10:11:12.123456+00'::timestamptz)::timestamptz))")]
    [InlineData("INSERT INTO t VALUES (timestamp(3) with time zone 'now')",
        "INSERT INTO t VALUES ((('2026-11-22 10:11:12.123456+00'::timestamptz)::timestamp(3) with time zone))")]
    [InlineData("INSERT INTO t VALUES ('today'::date, 'tomorrow'::timestamptz, date 'yesterday')",
        "INSERT INTO t VALUES (((('2026-11-22 10:11:12.123456+00'::timestamptz)::date)::timestamp)::date, "
        + "((('2026-11-22 10:11:12.123456+00'::timestamptz)::date + 1)::timestamp)::timestamptz, "
        + "(((('2026-11-22 10:11:12.123456+00'::timestamptz)::date - 1)::timestamp)::date))")]
    [InlineData("UPDATE t SET a = now()::date - 1, b = CURRENT_DATE + 7 WHERE c < now() - interval '1 h'",
        "UPDATE t SET a = ('2026-11-22 10:11:12.123456+00'::timestamptz)::date - 1, "
        + "b = ('2026-11-22 10:11:12.123456+00'::timestamptz::date) + 7 "
        + "WHERE c < ('2026-11-22 10:11:12.123456+00'::timestamptz) - interval '1 h'")]
    [InlineData("INSERT INTO t VALUES ('now()', \"now\", now())",
        "INSERT INTO t VALUES ('now()', \"now\", ('2026-11-22 10:11:12.123456+00'::timestamptz))")]
    [InlineData("INSERT INTO t VALUES (1)", "INSERT INTO t VALUES (1)")]
    [InlineData("INSERT INTO t VALUES (now()); UPDATE u SET d = CURRENT_DATE;",
        "INSERT INTO t VALUES (('2026-11-22 10:11:12.123456+00'::timestamptz)); "
        + "UPDATE u SET d = ('2026-11-22 10:11:12.123456+00'::timestamptz::date);")]
    [InlineData("INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (7, 1, 42, -300, CURRENT_TIMESTAMP);",
        "INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (7, 1, 42, -300, "
        + "('2026-11-22 10:11:12.123456+00'::timestamptz));")]
    [InlineData("INSERT INTO t VALUES ('é', now())",
        "INSERT INTO t VALUES ('é', ('2026-11-22 10:11:12.123456+00'::timestamptz))")]
    public void Rewrite_ReplacesEverySpan(string sql, string expected) => Assert.Equal(expected, Rewrite(sql));

    [Fact]
    public void Rewrite_WithoutSpans_ReturnsTheSameString()
    {
        const string Sql = "INSERT INTO t VALUES (1)";
        Assert.Same(Sql, TimestampRewriter.Rewrite(Sql, [], Ts));
    }

    [Fact]
    public void Rewrite_EscapesQuotesInTheTimestamp() =>
        Assert.Equal("SELECT ('a''b'::timestamptz)",
            TimestampRewriter.Rewrite("SELECT now()", [new TimeFunctionSpan(7, 5, TimeFunctionKind.Now, -1)], "a'b"));

    [Fact]
    public void Rewrite_RejectsOverlappingOrOutOfRangeSpans()
    {
        Assert.Throws<ArgumentException>(() => TimestampRewriter.Rewrite("SELECT now()",
            [new TimeFunctionSpan(7, 5, TimeFunctionKind.Now, -1), new TimeFunctionSpan(8, 1, TimeFunctionKind.Now, -1)], Ts));
        Assert.Throws<ArgumentException>(() => TimestampRewriter.Rewrite("SELECT now()",
            [new TimeFunctionSpan(7, 50, TimeFunctionKind.Now, -1)], Ts));
    }
}

using Pgproxy.Core.Routing;

namespace Pgproxy.Core.Tests.Routing;

/// <summary>Where the classifier finds current-time expressions.</summary>
public sealed class TimeFunctionTests
{
    /// <summary>Renders spans as "Kind(p):text" joined by " | ", p omitted when -1.</summary>
    private static string Spans(string sql)
    {
        var c = StatementClassifier.Classify(sql);
        Assert.Equal(c.TimeFunctions.Count > 0, c.Flags.HasFlag(StatementFlags.HasTimeFunctions));
        return string.Join(" | ", c.TimeFunctions.Select(s =>
            $"{s.Kind}{(s.Precision >= 0 ? $"({s.Precision})" : "")}:{sql.Substring(s.Start, s.Length)}"));
    }

    [Theory]
    [InlineData("INSERT INTO t VALUES (now())", "Now:now()")]
    [InlineData("INSERT INTO t VALUES (NOW ( ))", "Now:NOW ( )")]
    [InlineData("INSERT INTO t VALUES (pg_catalog.now())", "Now:pg_catalog.now()")]
    [InlineData("INSERT INTO t VALUES (\"pg_catalog\".\"now\"())", "Now:\"pg_catalog\".\"now\"()")]
    [InlineData("INSERT INTO t VALUES (transaction_timestamp())", "TransactionTimestamp:transaction_timestamp()")]
    [InlineData("UPDATE t SET ts = CURRENT_TIMESTAMP", "CurrentTimestamp:CURRENT_TIMESTAMP")]
    [InlineData("UPDATE t SET ts = current_timestamp(3)", "CurrentTimestamp(3):current_timestamp(3)")]
    [InlineData("UPDATE t SET ts = CURRENT_TIMESTAMP ( 6 )", "CurrentTimestamp(6):CURRENT_TIMESTAMP ( 6 )")]
    [InlineData("UPDATE t SET d = CURRENT_DATE", "CurrentDate:CURRENT_DATE")]
    [InlineData("UPDATE t SET ts = CURRENT_TIMESTAMP(1.5)", "CurrentTimestamp:CURRENT_TIMESTAMP")]
    [InlineData("UPDATE t SET ts = CURRENT_TIMESTAMP($1)", "CurrentTimestamp:CURRENT_TIMESTAMP")]
    [InlineData("UPDATE t SET t = CURRENT_TIME, u = CURRENT_TIME(2)", "CurrentTime:CURRENT_TIME | CurrentTime(2):CURRENT_TIME(2)")]
    [InlineData("UPDATE t SET t = LOCALTIME, u = LOCALTIME(0)", "LocalTime:LOCALTIME | LocalTime(0):LOCALTIME(0)")]
    [InlineData("UPDATE t SET t = LOCALTIMESTAMP, u = localtimestamp(4)",
        "LocalTimestamp:LOCALTIMESTAMP | LocalTimestamp(4):localtimestamp(4)")]
    [InlineData("INSERT INTO t VALUES ('now'::timestamp)", "NowLiteral:'now'")]
    [InlineData("INSERT INTO t VALUES ('NOW'::timestamptz, 'now'::date, ' now '::time, 'now'::timetz)",
        "NowLiteral:'NOW' | NowLiteral:'now' | NowLiteral:' now ' | NowLiteral:'now'")]
    [InlineData("INSERT INTO t VALUES ('now'::pg_catalog.timestamptz)", "NowLiteral:'now'")]
    [InlineData("CREATE TABLE t2 AS SELECT 'now'::information_schema.time_stamp, CAST('now' AS information_schema.time_stamp)",
        "NowLiteral:'now' | NowLiteral:'now'")]
    // A typed literal's span takes in its type: it is replaced whole.
    [InlineData("INSERT INTO t VALUES (timestamp 'now', date 'now', timestamptz 'now')",
        "NowLiteral:timestamp 'now' | NowLiteral:date 'now' | NowLiteral:timestamptz 'now'")]
    [InlineData("INSERT INTO t VALUES (timestamp with time zone 'now')", "NowLiteral:timestamp with time zone 'now'")]
    [InlineData("INSERT INTO t VALUES (timestamp(3) without time zone 'now', time (2) 'now')",
        "NowLiteral:timestamp(3) without time zone 'now' | NowLiteral:time (2) 'now'")]
    [InlineData("INSERT INTO t VALUES (timestamp 'now'::text)", "NowLiteral:timestamp 'now'")]
    [InlineData("INSERT INTO t VALUES ('today'::date, 'Tomorrow'::timestamptz, CAST(' yesterday ' AS timestamp))",
        "TodayLiteral:'today' | TomorrowLiteral:'Tomorrow' | YesterdayLiteral:' yesterday '")]
    [InlineData("UPDATE t SET d = date 'today'", "TodayLiteral:date 'today'")]
    [InlineData("UPDATE t SET ts = now() AT TIME ZONE 'now'", "Now:now()")]
    [InlineData("INSERT INTO t VALUES (CAST('now' AS timestamptz))", "NowLiteral:'now'")]
    [InlineData("INSERT INTO t VALUES (E'now'::timestamp)", "NowLiteral:E'now'")]
    [InlineData("INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (1, 2, 3, 4, CURRENT_TIMESTAMP);",
        "CurrentTimestamp:CURRENT_TIMESTAMP")]
    [InlineData("INSERT INTO t SELECT now(), a FROM u WHERE ts < now() - interval '1 day'", "Now:now() | Now:now()")]
    [InlineData("WITH x AS (SELECT now()) INSERT INTO t SELECT * FROM x", "Now:now()")]
    [InlineData("SELECT now() INTO t2", "Now:now()")]
    [InlineData("CREATE TABLE t2 AS SELECT now()", "Now:now()")]
    [InlineData("EXPLAIN ANALYZE INSERT INTO t VALUES (now())", "Now:now()")]
    [InlineData("CALL p(now())", "Now:now()")]
    [InlineData("DELETE FROM t WHERE ts < CURRENT_DATE", "CurrentDate:CURRENT_DATE")]
    [InlineData("MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN UPDATE SET ts = now()", "Now:now()")]
    [InlineData("SELECT now()", "Now:now()")]
    [InlineData("SELECT 1; INSERT INTO t VALUES (now()); UPDATE u SET d = CURRENT_DATE",
        "Now:now() | CurrentDate:CURRENT_DATE")]
    // Not time expressions.
    [InlineData("INSERT INTO t VALUES ('now()')", "")]
    [InlineData("INSERT INTO t VALUES ('now')", "")]
    [InlineData("INSERT INTO t VALUES ('now'::text)", "")]
    [InlineData("INSERT INTO t VALUES ('today'), ('tomorrow'::text), ('epoch'::timestamp), ('nowhere'::date)", "")]
    [InlineData("INSERT INTO t VALUES ($$now()$$)", "")]
    [InlineData("INSERT INTO t (\"now\", \"current_timestamp\") VALUES (1, 2)", "")]
    [InlineData("INSERT INTO t VALUES (1) -- now()\n", "")]
    [InlineData("INSERT INTO t VALUES (1) /* CURRENT_TIMESTAMP */", "")]
    [InlineData("INSERT INTO t VALUES (myschema.now())", "")]
    [InlineData("INSERT INTO t VALUES (t.current_date)", "")]
    [InlineData("INSERT INTO t VALUES (now)", "")]
    [InlineData("INSERT INTO t VALUES (now(1))", "")]
    [InlineData("INSERT INTO t VALUES (clock_timestamp(), statement_timestamp())", "")]
    [InlineData("INSERT INTO t VALUES (\"NOW\"())", "")]
    [InlineData("DO $$ BEGIN INSERT INTO t VALUES (now()); END $$", "")]
    // Stored definitions: left alone (StoredTimeFunctions).
    [InlineData("CREATE TABLE t (ts timestamptz DEFAULT now(), d date DEFAULT CURRENT_DATE)", "")]
    [InlineData("ALTER TABLE t ALTER COLUMN ts SET DEFAULT now()", "")]
    [InlineData("CREATE VIEW v AS SELECT now()", "")]
    [InlineData("PREPARE p AS INSERT INTO t VALUES (now())", "")]
    [InlineData("CREATE RULE r AS ON INSERT TO t DO ALSO INSERT INTO log VALUES (now())", "")]
    public void TimeFunctions(string sql, string expected) => Assert.Equal(expected, Spans(sql));

    [Fact]
    public void QuotedNow_CalledAsAFunction_IsNow()
    {
        // "now"() resolves to the same function as now(); only the column "now" is not a call.
        Assert.Equal("Now:\"now\"()", Spans("INSERT INTO t VALUES (\"now\"())"));
    }

    [Fact]
    public void StoredAndEvaluated_InOneString_KeepOnlyTheEvaluated()
    {
        const string Sql = "CREATE TABLE t (ts timestamptz DEFAULT now()); INSERT INTO t VALUES (now())";
        var c = StatementClassifier.Classify(Sql);
        var span = Assert.Single(c.TimeFunctions);
        Assert.Equal(Sql.LastIndexOf("now()", StringComparison.Ordinal), span.Start);
        Assert.True(c.Flags.HasFlag(StatementFlags.StoredTimeFunctions));
        Assert.True(c.Flags.HasFlag(StatementFlags.HasTimeFunctions));
    }
}

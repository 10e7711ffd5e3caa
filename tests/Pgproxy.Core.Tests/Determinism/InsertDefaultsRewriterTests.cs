using Pgproxy.Core.Determinism;
using Pgproxy.Core.Routing;

namespace Pgproxy.Core.Tests.Determinism;

public sealed class InsertDefaultsRewriterTests
{
    private const string Ts = "2026-11-22 10:11:12.123456+00";
    private const string L = "('2026-11-22 10:11:12.123456+00'::timestamptz)";
    private const string D = "('2026-11-22 10:11:12.123456+00'::timestamptz::date)";

    /// <summary>A default expression as spelled out: in parentheses of its own.</summary>
    private const string T = "(" + L + ")";
    private const string DD = "(" + D + ")";

    /// <summary>
    /// t(id serial, a int, b text, created timestamptz default now(), d date default CURRENT_DATE);
    /// s."My Table"(a int, "When" timestamptz default transaction_timestamp());
    /// v(a int, r float8 default random(), created timestamptz default now());
    /// e(a int, later timestamptz default now() + '1 day', n int default 5);
    /// w(a int, ts timestamp(3), d date, note text).
    /// </summary>
    private static readonly Dictionary<string, TableDefaults> Tables = new()
    {
        ["t"] = Table(
            """["id", "integer", "nextval('t_id_seq'::regclass)", false, "nextval", "p"]""",
            """["a", "integer", null, false, null, "p"]""",
            """["b", "text", null, false, null, "p"]""",
            """["created", "timestamp with time zone", "now()", false, null, "p"]""",
            """["d", "date", "CURRENT_DATE", false, null, "p"]"""),
        ["s.My Table"] = Table(
            """["a", "integer", null, false, null, "p"]""",
            """["When", "timestamp with time zone", "transaction_timestamp()", false, null, "p"]"""),
        ["v"] = Table(
            """["a", "integer", null, false, null, "p"]""",
            """["r", "double precision", "random()", false, "random", "p"]""",
            """["created", "timestamp with time zone", "now()", false, null, "p"]"""),
        ["e"] = Table(
            """["a", "integer", null, false, null, "p"]""",
            """["later", "timestamp with time zone", "(now() + '1 day'::interval)", false, null, "p"]""",
            """["n", "integer", "5", false, null, "p"]"""),
        ["w"] = Table(
            """["a", "integer", null, false, null, "p"]""",
            """["ts", "timestamp(3) without time zone", null, false, null, "p"]""",
            """["d", "date", null, false, null, "p"]""",
            """["note", "text", null, false, null, "p"]"""),
        ["plain"] = Table(
            """["a", "integer", null, false, null, "p"]""",
            """["n", "integer", "5", false, null, "p"]"""),
    };

    private static TableDefaults Table(params string[] rows) => TableDefaults.FromCatalog(rows);

    private static string Rewrite(string sql)
    {
        var rewrite = InsertDefaultsRewriter.Analyze(sql, Tables);
        Assert.Null(rewrite.Refusal);
        return rewrite.Render(sql, StatementClassifier.Classify(sql).TimeFunctions, Ts);
    }

    [Theory]
    [InlineData("INSERT INTO t (a, b) VALUES (1, 'x')",
        "INSERT INTO t (a, b, \"created\", \"d\") VALUES (1, 'x', " + T + ", " + DD + ")")]
    [InlineData("INSERT INTO t (a,b) VALUES (1,2),(3,4)",
        "INSERT INTO t (a,b, \"created\", \"d\") VALUES (1,2, " + T + ", " + DD + "),(3,4, " + T + ", " + DD + ")")]
    [InlineData("INSERT INTO t (a, created) VALUES (1, '2020-01-01')",
        "INSERT INTO t (a, created, \"d\") VALUES (1, '2020-01-01', " + DD + ")")]
    [InlineData("INSERT INTO t (a, created) VALUES (1, now())",
        "INSERT INTO t (a, created, \"d\") VALUES (1, " + L + ", " + DD + ")")]
    [InlineData("INSERT INTO t (a, created, d) VALUES (1, DEFAULT, default)",
        "INSERT INTO t (a, created, d) VALUES (1, " + T + ", " + DD + ")")]
    [InlineData("INSERT INTO t (a, b) VALUES (DEFAULT, DEFAULT)",
        "INSERT INTO t (a, b, \"created\", \"d\") VALUES (DEFAULT, DEFAULT, " + T + ", " + DD + ")")]
    [InlineData("INSERT INTO t (\"created\") VALUES (DEFAULT)",
        "INSERT INTO t (\"created\", \"d\") VALUES (" + T + ", " + DD + ")")]
    [InlineData("INSERT INTO t DEFAULT VALUES",
        "INSERT INTO t (\"created\", \"d\") VALUES (" + T + ", " + DD + ")")]
    [InlineData("insert into T default values returning id",
        "insert into T (\"created\", \"d\") VALUES (" + T + ", " + DD + ") returning id")]
    [InlineData("INSERT INTO t VALUES (1, 2, 'x')",
        "INSERT INTO t (\"id\", \"a\", \"b\", \"created\", \"d\") VALUES (1, 2, 'x', " + T + ", " + DD + ")")]
    [InlineData("INSERT INTO t VALUES (1, 2, 'x', now())",
        "INSERT INTO t (\"id\", \"a\", \"b\", \"created\", \"d\") VALUES (1, 2, 'x', " + L + ", " + DD + ")")]
    [InlineData("INSERT INTO t VALUES (1, 2, 'x', DEFAULT, DEFAULT)",
        "INSERT INTO t VALUES (1, 2, 'x', " + T + ", " + DD + ")")]
    [InlineData("INSERT INTO s.\"My Table\" (a) VALUES (1)",
        "INSERT INTO s.\"My Table\" (a, \"When\") VALUES (1, " + T + ")")]
    [InlineData("INSERT INTO S.\"My Table\" VALUES (1)",
        "INSERT INTO S.\"My Table\" (\"a\", \"When\") VALUES (1, " + T + ")")]
    [InlineData("INSERT INTO T (A) VALUES (1)",
        "INSERT INTO T (A, \"created\", \"d\") VALUES (1, " + T + ", " + DD + ")")]
    [InlineData("INSERT INTO t (a, b[1]) VALUES (1, 'x')",
        "INSERT INTO t (a, b[1], \"created\", \"d\") VALUES (1, 'x', " + T + ", " + DD + ")")]
    [InlineData("INSERT INTO t (a, b) VALUES ($1, $2)",
        "INSERT INTO t (a, b, \"created\", \"d\") VALUES ($1, $2, " + T + ", " + DD + ")")]
    [InlineData("INSERT INTO t (b) VALUES ('é''s ) now()')",
        "INSERT INTO t (b, \"created\", \"d\") VALUES ('é''s ) now()', " + T + ", " + DD + ")")]
    [InlineData("INSERT /* c */ INTO t (a -- x\n) VALUES (1 /* ) */)",
        "INSERT /* c */ INTO t (a -- x\n, \"created\", \"d\") VALUES (1 /* ) */, " + T + ", " + DD + ")")]
    [InlineData("INSERT INTO t AS x (a) VALUES (1) ON CONFLICT (a) DO UPDATE SET b = x.b RETURNING *",
        "INSERT INTO t AS x (a, \"created\", \"d\") VALUES (1, " + T + ", " + DD + ") "
        + "ON CONFLICT (a) DO UPDATE SET b = x.b RETURNING *")]
    [InlineData("INSERT INTO t (a, created) VALUES (1, now()) ON CONFLICT (a) DO UPDATE SET created = DEFAULT, b = 'y'",
        "INSERT INTO t (a, created, \"d\") VALUES (1, " + L + ", " + DD + ") "
        + "ON CONFLICT (a) DO UPDATE SET created = " + T + ", b = 'y'")]
    [InlineData("INSERT INTO t (a) VALUES (1) ON CONFLICT DO NOTHING RETURNING id, created",
        "INSERT INTO t (a, \"created\", \"d\") VALUES (1, " + T + ", " + DD + ") ON CONFLICT DO NOTHING RETURNING id, created")]
    [InlineData("INSERT INTO t (a) OVERRIDING SYSTEM VALUE VALUES (1)",
        "INSERT INTO t (a, \"created\", \"d\") OVERRIDING SYSTEM VALUE VALUES (1, " + T + ", " + DD + ")")]
    [InlineData("INSERT INTO t (a, b) SELECT x, y FROM u WHERE z > 0",
        "INSERT INTO t (a, b, \"created\", \"d\") SELECT x, y, " + T + ", " + DD + " FROM u WHERE z > 0")]
    [InlineData("INSERT INTO t (a, b) SELECT * FROM u",
        "INSERT INTO t (a, b, \"created\", \"d\") SELECT *, " + T + ", " + DD + " FROM u")]
    [InlineData("INSERT INTO t (a) SELECT 1 UNION ALL SELECT 2 ORDER BY 1",
        "INSERT INTO t (a, \"created\", \"d\") SELECT 1, " + T + ", " + DD + " UNION ALL SELECT 2, " + T + ", " + DD
        + " ORDER BY 1")]
    [InlineData("INSERT INTO t (a) (SELECT 1) EXCEPT (SELECT a FROM t)",
        "INSERT INTO t (a, \"created\", \"d\") (SELECT 1, " + T + ", " + DD + ") EXCEPT (SELECT a, " + T + ", " + DD
        + " FROM t)")]
    [InlineData("INSERT INTO t (a, b) TABLE u",
        "INSERT INTO t (a, b, \"created\", \"d\") SELECT *, " + T + ", " + DD + " FROM u")]
    [InlineData("INSERT INTO t (a) VALUES (2), (1) ORDER BY 1 LIMIT 1",
        "INSERT INTO t (a, \"created\", \"d\") VALUES (2, " + T + ", " + DD + "), (1, " + T + ", " + DD
        + ") ORDER BY 1 LIMIT 1")]
    [InlineData("INSERT INTO t SELECT 1, 2, 'x'",
        "INSERT INTO t (\"id\", \"a\", \"b\", \"created\", \"d\") SELECT 1, 2, 'x', " + T + ", " + DD)]
    [InlineData("INSERT INTO t (a) SELECT a FROM u ON CONFLICT DO NOTHING",
        "INSERT INTO t (a, \"created\", \"d\") SELECT a, " + T + ", " + DD + " FROM u ON CONFLICT DO NOTHING")]
    [InlineData("INSERT INTO t (a) SELECT DISTINCT ON (x) x FROM u ORDER BY x",
        "INSERT INTO t (a, \"created\", \"d\") SELECT DISTINCT ON (x) x, " + T + ", " + DD + " FROM u ORDER BY x")]
    [InlineData("INSERT INTO t (a) SELECT x IS DISTINCT FROM y FROM u",
        "INSERT INTO t (a, \"created\", \"d\") SELECT x IS DISTINCT FROM y, " + T + ", " + DD + " FROM u")]
    [InlineData("INSERT INTO t (a) SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY x) AS from FROM u",
        "INSERT INTO t (a, \"created\", \"d\") SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY x) AS from, " + T
        + ", " + DD + " FROM u")]
    [InlineData("INSERT INTO t (a) SELECT (SELECT max(a) FROM t) + u.from FROM u",
        "INSERT INTO t (a, \"created\", \"d\") SELECT (SELECT max(a) FROM t) + u.from, " + T + ", " + DD + " FROM u")]
    [InlineData("INSERT INTO t (a) WITH w AS (SELECT 1 AS x) SELECT x FROM w",
        "INSERT INTO t (a, \"created\", \"d\") WITH w AS (SELECT 1 AS x) SELECT x, " + T + ", " + DD + " FROM w")]
    [InlineData("WITH w AS (SELECT 1 AS x) INSERT INTO t (a) SELECT x FROM w RETURNING created",
        "WITH w AS (SELECT 1 AS x) INSERT INTO t (a, \"created\", \"d\") SELECT x, " + T + ", " + DD
        + " FROM w RETURNING created")]
    [InlineData("WITH x AS (INSERT INTO t (a) VALUES (1) RETURNING id) SELECT * FROM x",
        "WITH x AS (INSERT INTO t (a, \"created\", \"d\") VALUES (1, " + T + ", " + DD + ") RETURNING id) SELECT * FROM x")]
    [InlineData("EXPLAIN (ANALYZE) INSERT INTO t (a) VALUES (1)",
        "EXPLAIN (ANALYZE) INSERT INTO t (a, \"created\", \"d\") VALUES (1, " + T + ", " + DD + ")")]
    [InlineData("INSERT INTO t (a) VALUES (1); INSERT INTO u (a) VALUES (2); INSERT INTO t DEFAULT VALUES;",
        "INSERT INTO t (a, \"created\", \"d\") VALUES (1, " + T + ", " + DD + "); INSERT INTO u (a) VALUES (2); "
        + "INSERT INTO t (\"created\", \"d\") VALUES (" + T + ", " + DD + ");")]
    [InlineData("INSERT INTO e (a) VALUES (1)",
        "INSERT INTO e (a, \"later\") VALUES (1, ((" + L + " + '1 day'::interval)))")]
    [InlineData("INSERT INTO e VALUES (1), (2)",
        "INSERT INTO e (\"a\", \"later\") VALUES (1, ((" + L + " + '1 day'::interval))), "
        + "(2, ((" + L + " + '1 day'::interval)))")]
    public void Analyze_SpellsOutTimeDefaultsForTheOthers(string sql, string expected) =>
        Assert.Equal(expected, Rewrite(sql));

    [Theory]
    [InlineData("INSERT INTO w (a, ts, d, note) VALUES (1, 'now', ' Today ', 'now')",
        "INSERT INTO w (a, ts, d, note) VALUES (1, " + L + ", "
        + "((('2026-11-22 10:11:12.123456+00'::timestamptz)::date)::timestamp), 'now')")]
    [InlineData("INSERT INTO w VALUES (1, E'tomorrow', 'yesterday'), (2, '2020-01-01', 'now')",
        "INSERT INTO w VALUES (1, ((('2026-11-22 10:11:12.123456+00'::timestamptz)::date + 1)::timestamp), "
        + "((('2026-11-22 10:11:12.123456+00'::timestamptz)::date - 1)::timestamp)), (2, '2020-01-01', " + L + ")")]
    [InlineData("INSERT INTO t (a, created, b) VALUES (1, 'now', 'now')",
        "INSERT INTO t (a, created, b, \"d\") VALUES (1, " + L + ", 'now', " + DD + ")")]
    [InlineData("INSERT INTO w (ts, note) SELECT 'now', 'now'", "INSERT INTO w (ts, note) SELECT " + L + ", 'now'")]
    [InlineData("INSERT INTO w SELECT 1, 'now' AS x, 'today' FROM generate_series(1, 2) WHERE true",
        "INSERT INTO w SELECT 1, " + L + " AS x, ((('2026-11-22 10:11:12.123456+00'::timestamptz)::date)::timestamp) "
        + "FROM generate_series(1, 2) WHERE true")]
    [InlineData("INSERT INTO w (a, ts) WITH c AS (SELECT 1) SELECT 1, 'now' FROM c",
        "INSERT INTO w (a, ts) WITH c AS (SELECT 1) SELECT 1, " + L + " FROM c")]
    public void Analyze_GivesUntypedNowStoredIntoATimeColumnMainsValue(string sql, string expected) =>
        Assert.Equal(expected, Rewrite(sql));

    [Theory]
    [InlineData("INSERT INTO w (a, note) VALUES (1, 'now')")]
    [InlineData("INSERT INTO w (a, ts) VALUES (1, '2020-01-01'), (2, 'nowhere')")]
    [InlineData("INSERT INTO w (a, ts) SELECT 1, 'now'::timestamp")]
    [InlineData("INSERT INTO w (a, ts) SELECT 1, 'now' UNION ALL SELECT 2, 'now'")]
    [InlineData("INSERT INTO w (a, ts) SELECT 1, 'now' || ''")]
    [InlineData("INSERT INTO t (id, a, b, created, d) VALUES (1, 2, 'x', now(), CURRENT_DATE)")]
    [InlineData("INSERT INTO t VALUES (1, 2, 'x', '2020-01-01', '2020-01-01')")]
    [InlineData("INSERT INTO plain (a) VALUES (1)")]
    [InlineData("INSERT INTO plain DEFAULT VALUES")]
    [InlineData("INSERT INTO unknown (a) VALUES (1)")]
    [InlineData("UPDATE t SET a = 1")]
    [InlineData("SELECT * FROM t")]
    [InlineData("CREATE RULE r AS ON INSERT TO u DO ALSO INSERT INTO t (a) VALUES (new.a)")]
    [InlineData("CREATE FUNCTION f() RETURNS void LANGUAGE sql BEGIN ATOMIC INSERT INTO t (a) VALUES (1); END")]
    [InlineData("CREATE FUNCTION f() RETURNS void AS $$ INSERT INTO t (a) VALUES (1) $$ LANGUAGE sql")]
    [InlineData("INSERT INTO t (a) VALUES ('unterminated")]
    [InlineData("INSERT INTO t (a) VALUES (1))")]
    [InlineData("INSERT INTO t VALUES (1, 2, 'x', now(), CURRENT_DATE, 'one too many')")]
    public void Analyze_LeavesAloneWhatNeedsNothing(string sql) =>
        Assert.Same(DefaultsRewrite.None, InsertDefaultsRewriter.Analyze(sql, Tables));

    [Theory]
    [InlineData("INSERT INTO v (a) VALUES (1)", "\"r\"", "random()")]
    [InlineData("INSERT INTO v (a, r) VALUES (1, DEFAULT)", "\"r\"", "random()")]
    [InlineData("INSERT INTO v DEFAULT VALUES", "\"r\"", "random()")]
    [InlineData("INSERT INTO t SELECT * FROM u", "list the target columns", "\"created\"")]
    [InlineData("INSERT INTO t TABLE u", "list the target columns", "now()")]
    [InlineData("PREPARE p (int) AS INSERT INTO t (a) VALUES ($1)", "PREPARE", "\"created\"")]
    public void Analyze_RefusesWhatCannotBeMadeTheSame(string sql, string part1, string part2)
    {
        var rewrite = InsertDefaultsRewriter.Analyze(sql, Tables);
        Assert.NotNull(rewrite.Refusal);
        Assert.Contains(part1, rewrite.Refusal, StringComparison.Ordinal);
        Assert.Contains(part2, rewrite.Refusal, StringComparison.Ordinal);
    }

    [Fact]
    public void Analyze_StillFixesTimeColumnsBesideARefusedOne()
    {
        // Under nondeterministic_write = allow the refusal is ignored; the time default must still be the same.
        const string Sql = "INSERT INTO v (a) VALUES (1)";
        var rewrite = InsertDefaultsRewriter.Analyze(Sql, Tables);
        Assert.NotNull(rewrite.Refusal);
        Assert.True(rewrite.NeedsNow);
        Assert.Equal("INSERT INTO v (a, \"created\") VALUES (1, " + T + ")", rewrite.Render(Sql, [], Ts));
    }

    [Fact]
    public void Render_WithoutEdits_OnlyReplacesTheStatementsOwnTimeFunctions()
    {
        const string Sql = "UPDATE t SET created = now()";
        Assert.Equal("UPDATE t SET created = " + L,
            DefaultsRewrite.None.Render(Sql, StatementClassifier.Classify(Sql).TimeFunctions, Ts));
        Assert.Same(Sql, DefaultsRewrite.None.Render(Sql, [], null));
    }

    [Fact]
    public void Render_RejectsEditsOverlappingTimeFunctions_AndMissingTimestamps()
    {
        const string Sql = "SELECT now()";
        var overlapping = new DefaultsRewrite([new TextEdit(8, 2, "x", [])], null);
        Assert.Throws<ArgumentException>(() => overlapping.Render(Sql, StatementClassifier.Classify(Sql).TimeFunctions, Ts));
        var timed = new DefaultsRewrite([new TextEdit(12, 0, ", now()", [new TimeFunctionSpan(2, 5, TimeFunctionKind.Now, -1)])],
            null);
        Assert.Equal("SELECT now(), " + L, timed.Render(Sql, [], Ts));
        Assert.Throws<ArgumentNullException>(() => timed.Render(Sql, [], null));
    }

    [Fact]
    public void Targets_FindsEveryInsertThatRuns()
    {
        Assert.Equal(["a", "s.B", "c"], InsertDefaultsRewriter.Targets(
            "WITH x AS (INSERT INTO a VALUES (1) RETURNING *), y AS (INSERT INTO s.\"B\" SELECT * FROM x) " +
            "SELECT 1; INSERT INTO c DEFAULT VALUES; CREATE RULE r AS ON INSERT TO a DO INSERT INTO d VALUES (1)"));
    }
}

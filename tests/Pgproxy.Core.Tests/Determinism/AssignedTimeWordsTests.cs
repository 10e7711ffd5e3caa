using Pgproxy.Core.Determinism;
using Pgproxy.Core.Replication;
using Pgproxy.Core.Routing;

namespace Pgproxy.Core.Tests.Determinism;

/// <summary>
/// An untyped 'now' (or 'today'…) assigned by UPDATE SET or ON CONFLICT DO UPDATE SET to a date/time column reads
/// the transaction's time as it does in VALUES: the others get main's value (issue 16 item 3); so does a time-based
/// default an UPDATE assigns with SET col = DEFAULT, and a volatile one is refused as in an INSERT.
/// </summary>
public sealed class AssignedTimeWordsTests
{
    private const string Ts = "2026-11-22 10:11:12.123456+00";
    private const string L = "('2026-11-22 10:11:12.123456+00'::timestamptz)";
    private const string Today = "((('2026-11-22 10:11:12.123456+00'::timestamptz)::date)::timestamp)";
    private const string Tomorrow = "((('2026-11-22 10:11:12.123456+00'::timestamptz)::date + 1)::timestamp)";

    /// <summary>
    /// w(a int, ts timestamp(3), d date, note text); s."W"(a int, tz timestamptz);
    /// v(a int, r float8 default random(), created timestamptz default now()).
    /// </summary>
    private static readonly Dictionary<string, TableDefaults> Tables = new()
    {
        ["w"] = TableDefaults.FromCatalog([
            """["a", "integer", null, false, null, "p"]""",
            """["ts", "timestamp(3) without time zone", null, false, null, "p"]""",
            """["d", "date", null, false, null, "p"]""",
            """["note", "text", null, false, null, "p"]"""]),
        ["s.W"] = TableDefaults.FromCatalog([
            """["a", "integer", null, false, null, "p"]""",
            """["tz", "timestamp with time zone", null, false, null, "p"]"""]),
        ["v"] = TableDefaults.FromCatalog([
            """["a", "integer", null, false, null, "p"]""",
            """["r", "double precision", "random()", false, "random", "p"]""",
            """["created", "timestamp with time zone", "now()", false, null, "p"]"""]),
    };

    private static string Rewrite(string sql)
    {
        var rewrite = InsertDefaultsRewriter.Analyze(sql, Tables);
        Assert.Null(rewrite.Refusal);
        return rewrite.Render(sql, StatementClassifier.Classify(sql).TimeFunctions, Ts);
    }

    [Theory]
    [InlineData("UPDATE w SET ts = 'now'", "UPDATE w SET ts = " + L)]
    [InlineData("UPDATE ONLY w * AS x SET ts='now', note = 'now', d = 'tomorrow' WHERE a = 1 RETURNING ts",
        "UPDATE ONLY w * AS x SET ts=" + L + ", note = 'now', d = " + Tomorrow + " WHERE a = 1 RETURNING ts")]
    [InlineData("UPDATE w x SET (a, ts, note) = (1, E'today', 'now') FROM u WHERE u.a = x.a",
        "UPDATE w x SET (a, ts, note) = (1, " + Today + ", 'now') FROM u WHERE u.a = x.a")]
    [InlineData("UPDATE w SET (d, ts) = ROW(' Now ', 'now')", "UPDATE w SET (d, ts) = ROW(" + L + ", " + L + ")")]
    [InlineData("UPDATE s.\"W\" SET tz = 'now' WHERE a IN (SELECT 1)", "UPDATE s.\"W\" SET tz = " + L + " WHERE a IN (SELECT 1)")]
    [InlineData("WITH c AS (UPDATE w SET ts = 'now' RETURNING a) SELECT * FROM c",
        "WITH c AS (UPDATE w SET ts = " + L + " RETURNING a) SELECT * FROM c")]
    [InlineData("INSERT INTO w (a, ts) VALUES (1, 'now') ON CONFLICT (a) DO UPDATE SET ts = 'now', note = 'now'",
        "INSERT INTO w (a, ts) VALUES (1, " + L + ") ON CONFLICT (a) DO UPDATE SET ts = " + L + ", note = 'now'")]
    public void Analyze_GivesAnAssignedTimeWordMainsValue(string sql, string expected) =>
        Assert.Equal(expected, Rewrite(sql));

    [Theory]
    [InlineData("UPDATE v SET created = DEFAULT, a = 1", "UPDATE v SET created = (" + L + "), a = 1")]
    [InlineData("UPDATE v SET (a, created) = (2, DEFAULT) WHERE a = 1", "UPDATE v SET (a, created) = (2, (" + L + ")) WHERE a = 1")]
    public void Analyze_SpellsOutATimeDefaultAnUpdateAssigns(string sql, string expected) =>
        Assert.Equal(expected, Rewrite(sql));

    [Fact]
    public void Analyze_RefusesAnUpdateAssigningAVolatileDefault()
    {
        var rewrite = InsertDefaultsRewriter.Analyze("UPDATE v SET r = DEFAULT", Tables);
        Assert.StartsWith("pgproxy refuses an UPDATE that leaves column \"r\" of v to its default, which calls random()",
            rewrite.Refusal, StringComparison.Ordinal);
        Assert.Same(DefaultsRewrite.None, InsertDefaultsRewriter.Analyze("UPDATE v SET a = 1 WHERE r > 0", Tables));
    }

    [Theory]
    [InlineData("UPDATE w SET note = 'now'")]
    [InlineData("UPDATE w SET ts = 'now' || ''")]
    [InlineData("UPDATE w SET ts = 'now'::timestamp")]
    [InlineData("UPDATE w SET (ts, d) = (SELECT 'now', 'now')")]
    [InlineData("UPDATE w SET a = 1 WHERE note = 'now'")]
    [InlineData("UPDATE w SET a = 1 FROM u WHERE u.ts = 'now'")]
    [InlineData("UPDATE unknown SET ts = 'now'")]
    public void Analyze_LeavesOtherAssignmentsAlone(string sql) =>
        Assert.Same(DefaultsRewrite.None, InsertDefaultsRewriter.Analyze(sql, Tables));

    [Fact]
    public void Targets_WithUpdates_NamesEveryUpdateTooButOnlyWhenAsked()
    {
        const string Sql = "WITH c AS (UPDATE a SET x = 1 RETURNING *) INSERT INTO b SELECT * FROM c; UPDATE ONLY s.\"C\" SET y = 2";
        Assert.Equal(["a", "b", "s.C"], InsertDefaultsRewriter.Targets(Sql, withUpdates: true));
        Assert.Equal(["b"], InsertDefaultsRewriter.Targets(Sql));
    }

    [Theory]
    [InlineData("UPDATE w SET ts = 'now'", true)]
    [InlineData("UPDATE w SET ts = E' Today'", true)]
    [InlineData("UPDATE w SET ts = 'YESTERDAY'", true)]
    [InlineData("INSERT INTO w VALUES (1, '\ttomorrow')", true)]
    [InlineData("UPDATE w SET note = 'known', a = 1", false)]
    [InlineData("UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid = 2", false)]
    [InlineData("UPDATE w SET note = 'x' WHERE now() > ts", false)]
    [InlineData("'", false)]
    public void MayQuoteTimeWords_LooksForAQuotedWord(string sql, bool expected) =>
        Assert.Equal(expected, MainCatalog.MayQuoteTimeWords(System.Text.Encoding.UTF8.GetBytes(sql)));

    [Theory]
    [InlineData("UPDATE v SET created = DEFAULT", true)]
    [InlineData("update v set created = default", true)]
    [InlineData("UPDATE v SET created = now() WHERE d = 1", false)]
    [InlineData("UPDATE v SET a = 1 -- defaul", false)]
    public void MayNameDefault_LooksForTheWord(string sql, bool expected) =>
        Assert.Equal(expected, MainCatalog.MayNameDefault(System.Text.Encoding.UTF8.GetBytes(sql)));
}

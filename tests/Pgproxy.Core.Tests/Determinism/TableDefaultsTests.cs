using Pgproxy.Core.Determinism;
using Pgproxy.Core.Routing;

namespace Pgproxy.Core.Tests.Determinism;

public sealed class TableDefaultsTests
{
    [Theory]
    [InlineData("now()", null, "TransactionTime")]
    [InlineData("CURRENT_DATE", null, "TransactionTime")]
    [InlineData("LOCALTIME(2)", null, "TransactionTime")]
    [InlineData("CURRENT_TIMESTAMP(0)", null, "TransactionTime")]
    [InlineData("transaction_timestamp()", null, "TransactionTime")]
    [InlineData("(now() + '1 day'::interval)", null, "TransactionTime")]
    [InlineData("to_char(now(), 'YYYY'::text)", null, "TransactionTime")]
    [InlineData("('now'::text)::timestamp with time zone", null, "TransactionTime")]
    [InlineData("random()", "random", "Volatile")]
    [InlineData("gen_random_uuid()", "gen_random_uuid", "Volatile")]
    [InlineData("clock_timestamp()", "clock_timestamp", "Volatile")]
    [InlineData("(now() + (random() * '00:00:01'::interval))", "random", "Volatile")]
    [InlineData("statement_timestamp()", null, "Volatile")]
    [InlineData("my_volatile(1)", "nextval,my_volatile", "Volatile")]
    [InlineData("nextval('t_id_seq'::regclass)", "nextval", "Same")]
    [InlineData("('-1'::integer * currval('insert_seq'::regclass))", "currval", "Same")]
    [InlineData("(lastval() + 1)", "lastval", "Same")]
    [InlineData("(currval('s'::regclass) + (random() * 10))", "currval,random", "Volatile")]
    [InlineData("5", null, "Same")]
    [InlineData("CURRENT_USER", null, "Same")]
    [InlineData("'2026-11-22 02:14:47.66224+00'::timestamp with time zone", null, "Same")]
    [InlineData("'now() is text'::text", null, "Same")]
    public void Column_ClassifiesTheDefault(string expression, string? volatileFunctions, string expected) =>
        Assert.Equal(Enum.Parse<ColumnDefaultKind>(expected),
            TableDefaults.Column("c", "timestamp with time zone", expression, false, volatileFunctions).Kind);

    [Fact]
    public void Column_OfText_KeepsTheWordNow() =>
        Assert.Equal(ColumnDefaultKind.Same, TableDefaults.Column("c", "text", "'now'::text", false, null).Kind);

    [Fact]
    public void Column_WithoutADefault_OrGenerated_IsTheSameEverywhere()
    {
        Assert.Equal(ColumnDefaultKind.Same, TableDefaults.Column("c", "int", null, false, null).Kind);
        Assert.Equal(ColumnDefaultKind.Same, TableDefaults.Column("c", "timestamptz", "now()", true, null).Kind);
    }

    [Fact]
    public void Column_KnowsWhereTheTimeExpressionsAre()
    {
        var column = TableDefaults.Column("c", "timestamptz", "('now'::text)::timestamp with time zone", false, null);
        Assert.Equal([new TimeFunctionSpan(1, 5, TimeFunctionKind.NowLiteral, -1)], column.TimeFunctions);
        column = TableDefaults.Column("c", "time", "LOCALTIME(2)", false, null);
        Assert.Equal([new TimeFunctionSpan(0, 12, TimeFunctionKind.LocalTime, 2)], column.TimeFunctions);
    }

    [Fact]
    public void FromCatalog_ReadsTheRowsOfItsQuery()
    {
        var table = TableDefaults.FromCatalog([
            """["id", "integer", "nextval('t_id_seq'::regclass)", false, "nextval", "t"]""",
            """["Weird \"col\"", "timestamp with time zone", "transaction_timestamp()", false, null, "t"]""",
        ]);
        Assert.True(table.Temporary);
        Assert.True(table.Diverges);
        Assert.Equal("\"Weird \"\"col\"\"\"", table.Find("Weird \"col\"")!.QuotedName);
        Assert.Null(table.Find("weird \"col\""));
        Assert.Same(TableDefaults.Unknown, TableDefaults.FromCatalog([]));
        Assert.Throws<FormatException>(() => TableDefaults.FromCatalog(["[1]"]));
        Assert.Throws<FormatException>(() => TableDefaults.FromCatalog(["not json"]));
    }

    [Fact]
    public void Query_QuotesTheTableName()
    {
        Assert.Contains("to_regclass('\"s\".\"it''s\"')", TableDefaults.Query("s.it's"), StringComparison.Ordinal);
    }
}

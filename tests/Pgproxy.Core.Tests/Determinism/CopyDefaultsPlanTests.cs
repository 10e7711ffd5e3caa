using System.Buffers;
using System.Text;
using Pgproxy.Core.Determinism;

namespace Pgproxy.Core.Tests.Determinism;

public sealed class CopyDefaultsPlanTests
{
    private static readonly TableDefaults T = TableDefaults.FromCatalog([
        """["a", "integer", null, false, null, "p"]""",
        """["b", "text", null, false, null, "p"]""",
        """["created", "timestamp with time zone", "now()", false, null, "p"]""",
        """["d", "date", "CURRENT_DATE", false, null, "p"]""",
    ]);

    private static readonly TableDefaults V = TableDefaults.FromCatalog([
        """["a", "integer", null, false, null, "p"]""",
        """["u", "uuid", "gen_random_uuid()", false, "gen_random_uuid", "p"]""",
    ]);

    [Fact]
    public void Analyze_AddsTheLeftOutColumnsAndAsksMainForTheirValues()
    {
        const string Sql = "COPY t (a, b) FROM STDIN";
        var plan = CopyDefaultsPlan.Analyze(Sql, "t", T)!;
        Assert.Null(plan.Refusal);
        Assert.Equal("COPY t (a, b, \"created\", \"d\") FROM STDIN", plan.Statement.Render(Sql, [], null));
        Assert.Equal(["created", "d"], plan.Columns.Select(c => c.Name));
        Assert.Equal("SELECT pg_catalog.json_build_array(CAST((now()) AS timestamp with time zone)::text, " +
                     "CAST((CURRENT_DATE) AS date)::text)::text", plan.ValuesQuery);
        Assert.Equal(["2026-11-22 10:11:12+00", null], plan.ParseValues("""["2026-11-22 10:11:12+00", null]"""));
        Assert.Null(plan.ParseValues("""["only one"]"""));
        Assert.Null(plan.ParseValues("not json"));
    }

    [Theory]
    [InlineData("COPY t FROM STDIN")]
    [InlineData("COPY t (a, b, created, d) FROM STDIN")]
    [InlineData("COPY t (a, b, \"created\", d) FROM STDIN WITH (FORMAT binary)")]
    [InlineData("COPY t (a) TO STDOUT")]
    [InlineData("COPY t (a) FROM '/tmp/file'")]
    [InlineData("COPY (SELECT 1) TO STDOUT")]
    public void Analyze_NeedsNothing(string sql) => Assert.Null(CopyDefaultsPlan.Analyze(sql, "t", T));

    [Theory]
    [InlineData("COPY t (a) FROM STDIN (FORMAT binary)", "binary", "\"created\"")]
    [InlineData("COPY BINARY t (a) FROM STDIN", "binary", "now()")]
    [InlineData("COPY t (a) FROM STDIN WITH BINARY", "binary", "\"created\"")]
    [InlineData("COPY t (a, created, d) FROM STDIN (DEFAULT '\\D')", "DEFAULT option", "\"created\"")]
    [InlineData("COPY t (a) FROM STDIN (DELIMITER U&'\\0009')", "cannot read the options", "\"created\"")]
    [InlineData("COPY t (a) FROM STDIN (FORMAT xml)", "cannot read the options", "\"created\"")]
    public void Analyze_RefusesWhatCannotBeRewritten(string sql, string part1, string part2)
    {
        var refusal = CopyDefaultsPlan.Analyze(sql, "t", T)?.Refusal;
        Assert.NotNull(refusal);
        Assert.Contains(part1, refusal, StringComparison.Ordinal);
        Assert.Contains(part2, refusal, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("COPY t (a) FROM STDIN", true)]
    [InlineData("copy binary s.\"T\" (a) from stdin", true)]
    [InlineData("COPY t FROM STDIN (FORMAT csv)", false)]
    [InlineData("COPY t FROM STDIN", false)]
    [InlineData("COPY (SELECT 1) TO STDOUT", false)]
    [InlineData("SELECT 1", false)]
    public void ListsColumns_TellsWhetherTheCopyNamesItsColumns(string sql, bool expected) =>
        Assert.Equal(expected, CopyDefaultsPlan.ListsColumns(sql));

    [Fact]
    public void Analyze_RefusesAVolatileDefaultLeftOut()
    {
        var refusal = CopyDefaultsPlan.Analyze("COPY v (a) FROM STDIN", "v", V)?.Refusal;
        Assert.Contains("\"u\"", refusal, StringComparison.Ordinal);
        Assert.Contains("gen_random_uuid()", refusal, StringComparison.Ordinal);
        Assert.Null(CopyDefaultsPlan.Analyze("COPY v (a, u) FROM STDIN", "v", V));
    }

    [Theory]
    [InlineData("COPY t (a, b) FROM STDIN", "1\tx\n\\.\n", "1\tx\tTS\\\tX with space\t\\N\n\\.\n")]
    [InlineData("COPY t (a, b) FROM STDIN WITH (FORMAT text, DELIMITER ' ', NULL 'nil')", "1 x\n",
        "1 x TS\tX\\ with\\ space nil\n")]
    [InlineData("COPY t (a, b) FROM STDIN WITH DELIMITER AS E'|' NULL AS ''", "1|x\n", "1|x|TS\tX with space|\n")]
    [InlineData("COPY t (a, b) FROM STDIN (FORMAT csv)", "1,\"x\ny\"\n", "1,\"x\ny\",\"TS\tX with space\",\n")]
    [InlineData("COPY t (a, b) FROM STDIN (FORMAT 'csv', HEADER true, DELIMITER ';')", "a;b\n1;x\n",
        "a;b;\"created\";\"d\"\n1;x;\"TS\tX with space\";\n")]
    [InlineData("COPY t (a, b) FROM STDIN (FORMAT csv, HEADER false)", "1,x\n", "1,x,\"TS\tX with space\",\n")]
    [InlineData("COPY t (a, b) FROM STDIN (FORMAT csv, HEADER match, QUOTE '''', ESCAPE '\\')", "a,b\n1,'x'\n",
        "a,b,'created','d'\n1,'x','TS\tX with space',\n")]
    [InlineData("COPY t (a, b) FROM STDIN WITH CSV HEADER DELIMITER '|' QUOTE AS '$' FORCE NOT NULL a, b NULL 'n'",
        "a|b\n1|x\n", "a|b|$created$|$d$\n1|x|$TS\tX with space$|n\n")]
    [InlineData("COPY t (a, b) FROM STDIN WITH (FORMAT csv, DELIMITER $$\t$$, FORCE_NULL (a, b))", "1\tx\n",
        "1\tx\t\"TS\tX with space\"\t\n")]
    [InlineData("copy T (A, B) from stdin with (format CSV, delimiter E'\\t');", "1\tx\n",
        "1\tx\t\"TS\tX with space\"\t\n")]
    public void CreateAppender_WritesMainsValuesAsTheFormatReadsThem(string sql, string data, string expected) =>
        Assert.Equal(expected, Append(sql, ["TS\tX with space", null], data));

    [Theory]
    [InlineData("COPY t (a, b) FROM STDIN (FORMAT csv)", "say \"hi\"", "1\n", "1,\"say \"\"hi\"\"\",\"v\"\n")]
    [InlineData("COPY t (a, b) FROM STDIN (FORMAT csv, ESCAPE '\\')", "say \"hi\" \\o/", "1\n",
        "1,\"say \\\"hi\\\" \\\\o/\",\"v\"\n")]
    [InlineData("COPY t (a, b) FROM STDIN", "a\\b\nc\rd", "1\n", "1\ta\\\\b\\nc\\rd\tv\n")]
    public void CreateAppender_EscapesWhatTheValueContains(string sql, string value, string data, string expected) =>
        Assert.Equal(expected, Append(sql, [value, "v"], data));

    private static string Append(string sql, string?[] values, string data)
    {
        var plan = CopyDefaultsPlan.Analyze(sql, "t", T)!;
        Assert.Null(plan.Refusal);
        var appender = plan.CreateAppender(values);
        var output = new ArrayBufferWriter<byte>();
        appender.Append(Encoding.UTF8.GetBytes(data), output);
        appender.Complete(output);
        return Encoding.UTF8.GetString(output.WrittenSpan);
    }
}

using Pgproxy.Core.Routing;

namespace Pgproxy.Core.Tests.Routing;

/// <summary>
/// Text that looks like SQL but sits inside a string, comment, quoted identifier or body must change nothing;
/// statement boundaries are only top-level semicolons.
/// </summary>
public sealed class LexerTrapTests
{
    [Theory]
    [InlineData("SELECT ';'")]
    [InlineData("SELECT 'a; DELETE FROM t'")]
    [InlineData("SELECT '--', 1")]
    [InlineData("SELECT '/*', 1")]
    [InlineData("SELECT '$$', 1")]
    [InlineData("SELECT '''; DELETE FROM t; --'")]
    [InlineData("SELECT E'\\'; DELETE FROM t; --'")]
    [InlineData("SELECT E'\\\\', 1")]
    [InlineData("SELECT $$; DELETE FROM t;$$")]
    [InlineData("SELECT $x$ $$; DELETE FROM t; $$ $x$")]
    [InlineData("SELECT 1 -- ; DELETE FROM t")]
    [InlineData("SELECT 1 /* ; DELETE FROM t */")]
    [InlineData("SELECT 1 /* /* ; */ DELETE FROM t; */")]
    [InlineData("SELECT \"a;b\" FROM t")]
    [InlineData("SELECT \"x\"\"; DELETE FROM t; --\" FROM t")]
    [InlineData("SELECT U&'\\0041; DELETE' ")]
    [InlineData("SELECT B'1010', X'FF'")]
    [InlineData("SELECT 1 AS \"into\"")]
    [InlineData("SELECT 'FOR UPDATE'")]
    [InlineData("/* INSERT */ SELECT 1")]
    [InlineData("-- UPDATE t\nSELECT 1")]
    [InlineData("SELECT $1::int")]
    [InlineData("SELECT a$$b FROM t")]
    public void TrapsInsideLiterals_StayReads(string sql)
    {
        var c = StatementClassifier.Classify(sql);
        Assert.Equal(StatementKind.Read, c.Kind);
        Assert.Equal(1, c.StatementCount);
    }

    [Theory]
    [InlineData("SELECT 'x'; DELETE FROM t")]
    [InlineData("SELECT $$x$$; DELETE FROM t")]
    [InlineData("SELECT E'\\''; DELETE FROM t")]
    [InlineData("SELECT 1 /* c */; DELETE FROM t")]
    [InlineData("SELECT 1 -- c\n; DELETE FROM t")]
    [InlineData("SELECT \"x\"; DELETE FROM t")]
    public void StatementAfterALiteral_IsSeen(string sql)
    {
        var c = StatementClassifier.Classify(sql);
        Assert.Equal(StatementKind.Write, c.Kind);
        Assert.Equal(2, c.StatementCount);
    }

    [Theory]
    [InlineData("SELECT 'a''", "Write")]
    [InlineData("SELECT E'a\\'", "Write")]
    [InlineData("SELECT 1 /* /* */", "Write")]
    [InlineData("SELECT $t$ $$", "Write")]
    [InlineData("SELECT \"a\"\"", "Write")]
    public void UnterminatedLiteral_IsWrite(string sql, string expected) =>
        Assert.Equal(expected, StatementClassifier.Classify(sql).Kind.ToString());

    [Fact]
    public void CreateFunctionWithBeginAtomic_IsOneStatement()
    {
        const string Sql = """
            CREATE OR REPLACE FUNCTION f(a int) RETURNS int LANGUAGE sql
            BEGIN ATOMIC
              INSERT INTO log VALUES (a);
              SELECT CASE WHEN a > 0 THEN 1 ELSE 0 END;
            END;
            SELECT 1
            """;
        var c = StatementClassifier.Classify(Sql);
        Assert.Equal(2, c.StatementCount);
        Assert.Equal(StatementKind.Write, c.Kind);
        Assert.Equal("CREATE", c.FirstKeyword);
    }

    [Fact]
    public void CreateProcedureWithBeginAtomic_IsOneStatement()
    {
        var c = StatementClassifier.Classify("CREATE PROCEDURE p() BEGIN ATOMIC DELETE FROM t; DELETE FROM u; END");
        Assert.Equal(1, c.StatementCount);
        Assert.Equal(StatementKind.Write, c.Kind);
    }

    [Fact]
    public void BeginAtomicBody_HidesItsTimeFunctions()
    {
        // The body is stored: replacing now() in it with a literal would freeze it on the other nodes.
        var c = StatementClassifier.Classify(
            "CREATE FUNCTION f() RETURNS void LANGUAGE sql BEGIN ATOMIC INSERT INTO t VALUES (now()); END");
        Assert.Empty(c.TimeFunctions);
        Assert.True(c.Flags.HasFlag(StatementFlags.StoredTimeFunctions));
    }

    [Fact]
    public void PlainBeginAndCase_DoNotGlueStatements()
    {
        var c = StatementClassifier.Classify("BEGIN; SELECT CASE WHEN true THEN 1 END; COMMIT");
        Assert.Equal(3, c.StatementCount);
        Assert.True(c.Flags.HasFlag(StatementFlags.TransactionControlInside));
    }

    [Theory]
    // Combined kinds of multi-statement strings.
    [InlineData("SELECT 1; SELECT 2", "Read")]
    [InlineData("SELECT 1; UPDATE t SET a = 1", "Write")]
    [InlineData("BEGIN; SELECT 1", "Write")]
    [InlineData("SELECT 1; COMMIT", "Write")]
    [InlineData("INSERT INTO t VALUES (1); ROLLBACK", "Write")]
    [InlineData("SELECT 1; VACUUM", "WriteOutsideTransaction")]
    [InlineData("BEGIN; VACUUM", "Write")]
    [InlineData("SET a = 1; RESET b", "Write")]
    [InlineData("SELECT 1;;;", "Read")]
    [InlineData("BEGIN;", "Begin")]
    [InlineData(";COMMIT;", "Commit")]
    public void MultiStatement_CombinedKind(string sql, string expected) =>
        Assert.Equal(expected, StatementClassifier.Classify(sql).Kind.ToString());
}

using Pgproxy.Core.Routing;

namespace Pgproxy.Core.Tests.Routing;

/// <summary>Flags, INSERT/COPY targets, prepared-statement names and the first keyword.</summary>
public sealed class StatementFlagsTests
{
    [Theory]
    [InlineData("SELECT 1", (int)(StatementFlags.None))]
    [InlineData("BEGIN ISOLATION LEVEL SERIALIZABLE", (int)(StatementFlags.StrictIsolation | StatementFlags.NamesIsolationLevel))]
    [InlineData("BEGIN ISOLATION LEVEL REPEATABLE READ", (int)(StatementFlags.StrictIsolation | StatementFlags.NamesIsolationLevel))]
    [InlineData("BEGIN ISOLATION LEVEL READ COMMITTED", (int)StatementFlags.NamesIsolationLevel)]
    [InlineData("START TRANSACTION ISOLATION LEVEL SERIALIZABLE, READ ONLY",
        (int)(StatementFlags.StrictIsolation | StatementFlags.ReadOnlyTransactionStart | StatementFlags.NamesIsolationLevel))]
    [InlineData("BEGIN READ ONLY", (int)(StatementFlags.ReadOnlyTransactionStart))]
    [InlineData("BEGIN READ WRITE", (int)(StatementFlags.None))]
    [InlineData("SET TRANSACTION ISOLATION LEVEL SERIALIZABLE", (int)(StatementFlags.StrictIsolation | StatementFlags.NamesIsolationLevel))]
    [InlineData("SET TRANSACTION ISOLATION LEVEL READ COMMITTED", (int)StatementFlags.NamesIsolationLevel)]
    [InlineData("SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL REPEATABLE READ", (int)(StatementFlags.StrictIsolation))]
    [InlineData("SET default_transaction_isolation = 'serializable'", (int)(StatementFlags.StrictIsolation))]
    [InlineData("SET SESSION default_transaction_isolation TO 'Repeatable Read'", (int)(StatementFlags.StrictIsolation))]
    [InlineData("SET default_transaction_isolation TO serializable", (int)(StatementFlags.StrictIsolation))]
    [InlineData("SET default_transaction_isolation TO 'read committed'", (int)(StatementFlags.None))]
    [InlineData("SET default_transaction_isolation TO DEFAULT", (int)(StatementFlags.None))]
    [InlineData("SET LOCAL default_transaction_isolation = 'serializable'", (int)(StatementFlags.None))]
    [InlineData("SET transaction_isolation = 'serializable'", (int)(StatementFlags.StrictIsolation))]
    [InlineData("SET search_path = 'serializable'", (int)(StatementFlags.None))]
    [InlineData("COPY t FROM STDIN", (int)(StatementFlags.CopyFromStdin))]
    [InlineData("COPY t FROM '/x'", (int)(StatementFlags.None))]
    [InlineData("COPY t TO STDOUT", (int)(StatementFlags.CopyToStdout))]
    [InlineData("COPY (SELECT 1) TO STDOUT", (int)(StatementFlags.CopyToStdout))]
    [InlineData("COPY (DELETE FROM t RETURNING *) TO STDOUT", (int)(StatementFlags.CopyToStdout))]
    [InlineData("EXPLAIN ANALYZE SELECT 1", (int)(StatementFlags.ExplainAnalyze))]
    [InlineData("EXPLAIN (ANALYZE) DELETE FROM t", (int)(StatementFlags.ExplainAnalyze))]
    [InlineData("EXPLAIN ANALYZE INSERT INTO t VALUES (1)", (int)(StatementFlags.ExplainAnalyze | StatementFlags.Insert))]
    [InlineData("EXPLAIN INSERT INTO t VALUES (1)", (int)(StatementFlags.None))]
    [InlineData("INSERT INTO t VALUES (1)", (int)(StatementFlags.Insert))]
    [InlineData("WITH x AS (SELECT 1) INSERT INTO t SELECT * FROM x", (int)(StatementFlags.Insert | StatementFlags.ReadsOtherRows))]
    [InlineData("UPDATE t SET a = 1", (int)(StatementFlags.None))]
    [InlineData("PREPARE p AS INSERT INTO t VALUES (1)", (int)(StatementFlags.None))]
    [InlineData("SELECT 1; SELECT 2", (int)(StatementFlags.MultiStatement))]
    [InlineData("SELECT 1;", (int)(StatementFlags.None))]
    [InlineData("INSERT INTO t VALUES (1); INSERT INTO u VALUES (2)", (int)(StatementFlags.MultiStatement | StatementFlags.Insert))]
    [InlineData("SELECT 1; INSERT INTO u VALUES (2)", (int)(StatementFlags.MultiStatement))]
    [InlineData("BEGIN; INSERT INTO t VALUES (1); COMMIT",
        (int)(StatementFlags.MultiStatement | StatementFlags.TransactionControlInside))]
    [InlineData("SELECT 1; SAVEPOINT s", (int)(StatementFlags.MultiStatement | StatementFlags.TransactionControlInside))]
    [InlineData("SELECT 1; ROLLBACK TO s", (int)(StatementFlags.MultiStatement | StatementFlags.TransactionControlInside))]
    [InlineData("SELECT 1; RELEASE s", (int)(StatementFlags.MultiStatement | StatementFlags.TransactionControlInside))]
    [InlineData("SET x = 1; SET y = 2", (int)(StatementFlags.MultiStatement))]
    [InlineData("BEGIN ISOLATION LEVEL SERIALIZABLE; SELECT 1",
        (int)(StatementFlags.MultiStatement | StatementFlags.TransactionControlInside | StatementFlags.StrictIsolation
            | StatementFlags.NamesIsolationLevel))]
    [InlineData("SELECT now()", (int)(StatementFlags.HasTimeFunctions))]
    [InlineData("CREATE TABLE t (ts timestamptz DEFAULT now())", (int)(StatementFlags.StoredTimeFunctions | StatementFlags.SchemaChange))]
    [InlineData("ALTER TABLE t ALTER ts SET DEFAULT CURRENT_TIMESTAMP", (int)(StatementFlags.StoredTimeFunctions | StatementFlags.SchemaChange))]
    [InlineData("CREATE VIEW v AS SELECT now()", (int)(StatementFlags.StoredTimeFunctions | StatementFlags.SchemaChange))]
    [InlineData("CREATE MATERIALIZED VIEW v AS SELECT now()", (int)(StatementFlags.StoredTimeFunctions | StatementFlags.SchemaChange))]
    [InlineData("PREPARE p AS INSERT INTO t VALUES (now())", (int)(StatementFlags.StoredTimeFunctions))]
    [InlineData("CREATE TABLE t AS SELECT now()", (int)(StatementFlags.HasTimeFunctions | StatementFlags.SchemaChange))]
    public void Flags(string sql, int expected) =>
        Assert.Equal((StatementFlags)expected, StatementClassifier.Classify(sql).Flags);

    [Theory]
    [InlineData("CREATE TABLE t (id int)", true)]
    [InlineData("create unlogged table t (id int)", true)]
    [InlineData("CREATE OR REPLACE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1'", true)]
    [InlineData("CREATE INDEX CONCURRENTLY i ON t (id)", true)]
    [InlineData("CREATE DATABASE d", true)]
    [InlineData("ALTER TABLE t ADD COLUMN c int", true)]
    [InlineData("ALTER ROLE r PASSWORD 'x'", true)]
    [InlineData("DROP TABLE IF EXISTS t", true)]
    [InlineData("COMMENT ON TABLE t IS 'x'", true)]
    [InlineData("GRANT SELECT ON t TO r", true)]
    [InlineData("REVOKE SELECT ON t FROM r", true)]
    [InlineData("SECURITY LABEL ON TABLE t IS 'x'", true)]
    [InlineData("IMPORT FOREIGN SCHEMA s FROM SERVER f INTO public", true)]
    [InlineData("INSERT INTO t VALUES (1); CREATE TABLE u (id int)", true)]
    [InlineData("CREATE TEMP TABLE t (id int)", false)]
    [InlineData("CREATE TEMPORARY TABLE t AS SELECT 1", false)]
    [InlineData("CREATE LOCAL TEMP TABLE t (id int)", false)]
    [InlineData("CREATE GLOBAL TEMPORARY TABLE t (id int)", false)]
    [InlineData("INSERT INTO t VALUES (1)", false)]
    [InlineData("TRUNCATE t", false)]
    [InlineData("SELECT 'CREATE TABLE t'", false)]
    [InlineData("UPDATE t SET alter = 1", false)]
    public void SchemaChange(string sql, bool expected) =>
        Assert.Equal(expected, StatementClassifier.Classify(sql).Flags.HasFlag(StatementFlags.SchemaChange));

    [Theory]
    [InlineData("INSERT INTO t VALUES (1)", "t")]
    [InlineData("INSERT INTO Accounts VALUES (1)", "accounts")]
    [InlineData("insert into public.T (a) values (1)", "public.t")]
    [InlineData("INSERT INTO \"MyTable\" VALUES (1)", "MyTable")]
    [InlineData("INSERT INTO \"My\"\"Q\" VALUES (1)", "My\"Q")]
    [InlineData("INSERT INTO \"S\".\"T\" VALUES (1)", "S.T")]
    [InlineData("INSERT INTO s.\"T\" AS x VALUES (1)", "s.T")]
    [InlineData("INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (1, 1, 1, 1, CURRENT_TIMESTAMP)",
        "pgbench_history")]
    [InlineData("WITH x AS (SELECT 1) INSERT INTO t SELECT * FROM x", "t")]
    [InlineData("EXPLAIN ANALYZE INSERT INTO t VALUES (1)", "t")]
    [InlineData("PREPARE p AS INSERT INTO t VALUES ($1)", "t")]
    [InlineData("INSERT INTO t VALUES (1); INSERT INTO u VALUES (1)", "t")]
    [InlineData("UPDATE t SET a = 1", null)]
    [InlineData("SELECT 1; INSERT INTO u VALUES (1)", null)]
    [InlineData("INSERT", null)]
    public void InsertTable(string sql, string? expected) =>
        Assert.Equal(expected, StatementClassifier.Classify(sql).InsertTable);

    [Fact]
    public void InsertTables_ListsEveryInsertTarget()
    {
        var c = StatementClassifier.Classify(
            "INSERT INTO a VALUES (1); UPDATE b SET x = 1; INSERT INTO s.c VALUES (2); INSERT INTO a VALUES (3)");
        Assert.Equal(["a", "s.c"], c.InsertTables);
        Assert.Empty(StatementClassifier.Classify("SELECT 1").InsertTables);
    }

    [Theory]
    [InlineData("COPY t FROM STDIN", "t")]
    [InlineData("COPY BINARY s.\"T\" (a) FROM STDIN", "s.T")]
    [InlineData("COPY t TO STDOUT", "t")]
    [InlineData("COPY (SELECT 1) TO STDOUT", null)]
    public void CopyTable(string sql, string? expected) =>
        Assert.Equal(expected, StatementClassifier.Classify(sql).CopyTable);

    [Theory]
    [InlineData("PREPARE p AS SELECT 1", "p", (int)StatementKind.Read)]
    [InlineData("PREPARE MyStmt (int) AS UPDATE t SET a = $1", "mystmt", (int)StatementKind.Write)]
    [InlineData("PREPARE \"MyStmt\" AS DELETE FROM t", "MyStmt", (int)StatementKind.Write)]
    [InlineData("PREPARE p AS SELECT * FROM t FOR UPDATE", "p", (int)StatementKind.Write)]
    [InlineData("PREPARE p AS VACUUM", "p", (int)StatementKind.WriteOutsideTransaction)]
    [InlineData("PREPARE p AS WITH x AS (SELECT 1) SELECT * FROM x", "p", (int)StatementKind.Read)]
    [InlineData("EXECUTE p", "p", (int)StatementKind.SessionState)]
    [InlineData("EXECUTE P (1, 2)", "p", (int)StatementKind.SessionState)]
    [InlineData("DEALLOCATE p", "p", (int)StatementKind.SessionState)]
    [InlineData("DEALLOCATE PREPARE \"P\"", "P", (int)StatementKind.SessionState)]
    [InlineData("DEALLOCATE ALL", "*", (int)StatementKind.SessionState)]
    [InlineData("EXPLAIN EXECUTE p", "p", (int)StatementKind.Read)]
    [InlineData("EXPLAIN ANALYZE EXECUTE p", "p", (int)StatementKind.Write)]
    [InlineData("SELECT 1", null, (int)StatementKind.Read)]
    [InlineData("INSERT INTO t VALUES (1)", null, (int)StatementKind.Write)]
    public void PreparedNameAndInnerKind(string sql, string? name, int innerKind)
    {
        var c = StatementClassifier.Classify(sql);
        Assert.Equal(name, c.PreparedName);
        Assert.Equal((StatementKind)innerKind, c.PreparedInnerKind);
    }

    [Theory]
    [InlineData("SELECT 1", "SELECT")]
    [InlineData("  select 1", "SELECT")]
    [InlineData("(( SELECT 1))", "SELECT")]
    [InlineData("/* x */ insert into t values (1)", "INSERT")]
    [InlineData("with x as (select 1) select 1", "WITH")]
    [InlineData("frobnicate x", "FROBNICATE")]
    [InlineData("SELECT 'unterminated", "SELECT")]
    [InlineData("begin; select 1", "BEGIN")]
    [InlineData("", null)]
    [InlineData(";", null)]
    [InlineData("123", null)]
    public void FirstKeyword(string sql, string? expected) =>
        Assert.Equal(expected, StatementClassifier.Classify(sql).FirstKeyword);

    [Fact]
    public void FirstKeyword_OfAKnownKeyword_IsAConstantString() =>
        Assert.Same(StatementClassifier.Classify("select 1").FirstKeyword, StatementClassifier.Classify("SELECT 2").FirstKeyword);

    [Theory]
    [InlineData("", 0)]
    [InlineData(";;", 0)]
    [InlineData("SELECT 1", 1)]
    [InlineData("SELECT 1;", 1)]
    [InlineData("SELECT 1;;SELECT 2; ", 2)]
    [InlineData("BEGIN; UPDATE t SET a = 1; COMMIT;", 3)]
    public void StatementCount(string sql, int expected) =>
        Assert.Equal(expected, StatementClassifier.Classify(sql).StatementCount);

    [Fact]
    public void FlagValues_ArePinned()
    {
        Assert.Equal(1, (int)StatementFlags.MultiStatement);
        Assert.Equal(64, (int)StatementFlags.Insert);
        Assert.Equal(256, (int)StatementFlags.ReadOnlyTransactionStart);
        Assert.Equal(512, (int)StatementFlags.StoredTimeFunctions);
    }
}

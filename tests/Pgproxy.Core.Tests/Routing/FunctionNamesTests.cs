using Pgproxy.Core.Routing;

namespace Pgproxy.Core.Tests.Routing;

/// <summary>What <see cref="StatementClassification.FunctionNames"/> holds: calls in, grammar out.</summary>
public sealed class FunctionNamesTests
{
    [Theory]
    [InlineData("SELECT abalance FROM pgbench_accounts WHERE aid = 1", "")]
    [InlineData("SELECT nextval('s')", "nextval")]
    [InlineData("SELECT NextVal('s'), setval('s', 1), currval('s'), lastval()", "nextval,setval,currval,lastval")]
    [InlineData("SELECT pg_catalog.now(), public.f(1), a.b.c(2)", "now,f,c")]
    [InlineData("SELECT \"MyFunc\"(1), \"my\"\"f\"()", "MyFunc,my\"f")]
    [InlineData("SELECT f(1), f(2), F(3)", "f")]
    [InlineData("SELECT random() FROM t", "random")]
    [InlineData("SELECT f(g(h(1)))", "f,g,h")]
    [InlineData("SELECT count(*) FILTER (WHERE a > 1) OVER (PARTITION BY b) FROM t", "count")]
    [InlineData("SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY a) FROM t", "percentile_cont")]
    [InlineData("SELECT * FROM t WHERE a IN (1, 2) AND EXISTS (SELECT 1) AND b = ANY (ARRAY[1]) AND c = ALL (SELECT 1)", "")]
    [InlineData("SELECT a FROM t WHERE b NOT IN (SELECT 1) OR (a, b) = ROW(1, 2)", "")]
    [InlineData("SELECT COALESCE(a, 1), NULLIF(a, 1), GREATEST(1, 2), LEAST(1, 2), CAST(a AS int)", "")]
    [InlineData("SELECT 1::numeric(10, 2), 'a'::varchar(3), x::character varying(5), 'b'::pg_catalog.bpchar(2)", "")]
    [InlineData("SELECT CAST(a AS numeric(10,2)), b::timestamp(3), c::decimal(5)", "")]
    [InlineData("SELECT CURRENT_TIMESTAMP(3), LOCALTIME(2), CURRENT_TIME(1), LOCALTIMESTAMP(0)", "")]
    [InlineData("SELECT now(), transaction_timestamp(), clock_timestamp()", "now,transaction_timestamp,clock_timestamp")]
    [InlineData("SELECT ARRAY(SELECT 1), GROUPING(a) FROM t GROUP BY CUBE (a), ROLLUP (b), GROUPING SETS ((a))", "")]
    [InlineData("SELECT * FROM generate_series(1, 3) AS g(i)", "generate_series")]
    [InlineData("SELECT * FROM generate_series(1, 3) g(i)", "generate_series")]
    [InlineData("SELECT * FROM unnest(a) WITH ORDINALITY AS u(x, n)", "unnest")]
    [InlineData("SELECT DISTINCT ON (a) random() FROM t", "random")]
    [InlineData("SELECT DISTINCT ON (a) b FROM t ORDER BY a, f(b)", "f")]
    [InlineData("WITH x(a) AS (SELECT 1) SELECT * FROM x", "")]
    [InlineData("WITH x AS NOT MATERIALIZED (SELECT 1) SELECT * FROM x", "")]
    [InlineData("WITH RECURSIVE t(n) AS (VALUES (1) UNION ALL SELECT n + 1 FROM t WHERE n < 5) SELECT f(n) FROM t", "f")]
    [InlineData("WITH a AS (SELECT 1), b(x, \"Y\") AS NOT MATERIALIZED (SELECT 1, 2) SELECT * FROM a, b", "")]
    [InlineData("WITH a(x) AS MATERIALIZED (TABLE t), b(y) AS ((SELECT 1)) SELECT 1", "")]
    [InlineData("WITH w(k) AS (DELETE FROM t RETURNING k) INSERT INTO u SELECT g(k) FROM w", "g")]
    [InlineData("SELECT * FROM t, f(x) AS (a int, b text)", "f")]
    [InlineData("SELECT * FROM t, f(x) AS (a)", "f")]
    [InlineData("SELECT left('abc', 1), right('abc', 1), substring('abc' FROM 2), position('b' IN 'abc')",
        "left,right,substring,position")]
    [InlineData("SELECT trim(both 'x' FROM a), extract(year FROM d), overlay(a PLACING 'x' FROM 1)", "extract,overlay")]
    [InlineData("SELECT f(VARIADIC ARRAY[1, 2])", "f")]
    [InlineData("SELECT 'f(1)', $$g(2)$$, \"h(3)\" FROM t -- i(4)\n/* j(5) */", "")]
    [InlineData("INSERT INTO t (a, b) VALUES (f(1), DEFAULT)", "f")]
    [InlineData("INSERT INTO s.t (a) SELECT g(x) FROM u ON CONFLICT (a) DO UPDATE SET a = h(1) RETURNING k(a)", "g,h,k")]
    [InlineData("UPDATE t SET (a, b) = (f(1), 2) WHERE g(c)", "f,g")]
    [InlineData("DELETE FROM t USING gen(1) x WHERE t.a = x.a", "gen")]
    [InlineData("CREATE TABLE IF NOT EXISTS t (a numeric(10,2) DEFAULT f(), b varchar(20), CHECK (g(a)), PRIMARY KEY (a), UNIQUE (b))",
        "f,g")]
    [InlineData("CREATE TABLE t (a int REFERENCES u (id), FOREIGN KEY (a) REFERENCES u(id))", "")]
    [InlineData("CREATE OR REPLACE FUNCTION f(a int) RETURNS TABLE (b int) AS $$ SELECT g(1) $$ LANGUAGE sql", "")]
    [InlineData("DROP FUNCTION f(int), g(text)", "")]
    [InlineData("DROP AGGREGATE a(int), random(int)", "")]
    [InlineData("GRANT EXECUTE ON FUNCTION f(int), g(int) TO u", "")]
    [InlineData("REVOKE EXECUTE ON FUNCTION f(int), g(int) FROM u", "")]
    [InlineData("COMMENT ON FUNCTION f(int) IS 'g(1)'", "")]
    [InlineData("ALTER TABLE t ALTER c TYPE int USING f(c)", "f")]
    [InlineData("CREATE AGGREGATE agg(int) (SFUNC = f, STYPE = int)", "")]
    [InlineData("CREATE VIEW v (a, b) AS SELECT f(1), 2", "f")]
    [InlineData("CREATE TYPE ty AS (a int, b numeric(3))", "")]
    [InlineData("CREATE TRIGGER tr AFTER INSERT ON t FOR EACH ROW EXECUTE FUNCTION trg()", "")]
    [InlineData("PREPARE p (int, numeric(5)) AS SELECT f($1)", "f")]
    [InlineData("EXECUTE p(g(1))", "g")]
    [InlineData("COPY t (a, b) FROM STDIN", "")]
    [InlineData("COPY t (a, b) FROM STDIN (FORMAT csv)", "")]
    [InlineData("COPY t TO STDOUT (FORMAT csv)", "")]
    [InlineData("SELECT * FROM t TABLESAMPLE bernoulli (10) REPEATABLE (42)", "")]
    [InlineData("CREATE INDEX ON t (lower(a))", "")]
    [InlineData("CREATE UNIQUE INDEX CONCURRENTLY i ON t USING btree (lower(a))", "")]
    [InlineData("COPY (SELECT f(1)) TO STDOUT WITH (FORMAT csv)", "f")]
    [InlineData("EXPLAIN (ANALYZE, BUFFERS) SELECT f()", "f")]
    [InlineData("VACUUM (VERBOSE) t", "")]
    [InlineData("CALL proc(1, f(2))", "proc,f")]
    [InlineData("SELECT x FROM t WHERE a = 1 AND (b OR f(c))", "f")]
    [InlineData("SELECT CASE WHEN f(a) THEN g(b) ELSE h(c) END", "f,g,h")]
    [InlineData("SELECT a FROM t JOIN LATERAL srf(t.a) s ON (s.x = f(t.b))", "srf,f")]
    [InlineData("SELECT 1; SELECT f(1); SELECT g(2)", "f,g")]
    [InlineData("SELECT OPERATOR(pg_catalog.+)(1, 2)", "")]
    [InlineData("SELECT \"select\"(1)", "select")]
    [InlineData("SELECT date(now())", "date,now")]
    public void FunctionNames(string sql, string expected) =>
        Assert.Equal(expected, string.Join(',', StatementClassifier.Classify(sql).FunctionNames));

    [Fact]
    public void AReadThatCallsAFunction_IsStillARead()
    {
        // The router upgrades it after checking the names against volatility and the function lists.
        var c = StatementClassifier.Classify("SELECT nextval('s')");
        Assert.Equal(StatementKind.Read, c.Kind);
        Assert.Equal(["nextval"], c.FunctionNames);
    }
}

using Pgproxy.Core.Routing;

namespace Pgproxy.Core.Tests.Routing;

/// <summary>
/// <see cref="StatementClassification.EvaluatedFunctionNames"/>: the calls a statement makes as it runs, without
/// those only stored in a definition — what <c>nondeterministic_write</c> refuses.
/// </summary>
public sealed class EvaluatedFunctionNamesTests
{
    [Theory]
    // Stored, evaluated later row by row (each node then draws its own, but only for rows pgproxy replicates
    // with explicit values — see TableDefaults) or never: nothing to refuse now.
    [InlineData("CREATE TABLE t (id int, r float8 DEFAULT random(), u uuid DEFAULT gen_random_uuid())", "")]
    [InlineData("CREATE TEMP TABLE t (r float8 DEFAULT random())", "")]
    [InlineData("CREATE VIEW v AS SELECT random() AS r", "")]
    [InlineData("CREATE OR REPLACE VIEW v AS SELECT clock_timestamp()", "")]
    [InlineData("CREATE DOMAIN d AS float8 DEFAULT random()", "")]
    [InlineData("ALTER TABLE t ALTER COLUMN r SET DEFAULT random()", "")]
    [InlineData("ALTER TABLE t ALTER r SET DEFAULT gen_random_uuid()", "")]
    // A publication's row filter is stored (and must be immutable: PostgreSQL's own error, not a refusal).
    [InlineData("ALTER PUBLICATION p ADD TABLE t WHERE (a < random())", "")]
    [InlineData("ALTER PUBLICATION p SET TABLE t WHERE (a < random())", "")]
    [InlineData("CREATE PUBLICATION p FOR TABLE t WHERE (a < random())", "")]
    // Evaluated now.
    [InlineData("CREATE TABLE t AS SELECT random() AS r", "random")]
    [InlineData("CREATE MATERIALIZED VIEW m AS SELECT random() AS r", "random")]
    [InlineData("ALTER TABLE t ADD COLUMN r float8 DEFAULT random()", "random")]
    [InlineData("ALTER TABLE t ADD CONSTRAINT c CHECK (random() < 2)", "random")]
    [InlineData("ALTER TABLE t ALTER COLUMN r TYPE numeric USING random()", "random")]
    [InlineData("INSERT INTO t VALUES (random())", "random")]
    [InlineData("UPDATE t SET r = gen_random_uuid()", "gen_random_uuid")]
    // A top-level RETURNING computes the client's answer only; a CTE's feeds the statement.
    [InlineData("INSERT INTO t VALUES (1) RETURNING xmin = pg_current_xact_id()::xid AS xmin_ok", "")]
    [InlineData("UPDATE t SET a = random() RETURNING random(), pg_backend_pid()", "random")]
    [InlineData("DELETE FROM t WHERE a > 1 RETURNING a, clock_timestamp()", "")]
    [InlineData("INSERT INTO t VALUES (1) ON CONFLICT (a) DO UPDATE SET b = 2 RETURNING (SELECT random())", "")]
    [InlineData("WITH x AS (INSERT INTO u VALUES (1) RETURNING random() AS r) INSERT INTO t SELECT r FROM x RETURNING f()",
        "random")]
    [InlineData("INSERT INTO t SELECT a FROM u WHERE b < random() RETURNING a", "random")]
    [InlineData("PREPARE p AS INSERT INTO t VALUES (1) RETURNING random()", "random")]
    // Several statements: a name stored in one and called in another counts.
    [InlineData("CREATE TABLE t (r float8 DEFAULT random()); INSERT INTO t VALUES (random())", "random")]
    public void Lists_only_calls_evaluated_as_the_statement_runs(string sql, string expected)
    {
        var classification = StatementClassifier.Classify(sql);
        Assert.Equal(expected, string.Join(",", classification.EvaluatedFunctionNames));
    }

    [Fact]
    public void Stored_calls_are_still_function_names()
    {
        var classification = StatementClassifier.Classify("CREATE TABLE t (r float8 DEFAULT random())");
        Assert.Equal(["random"], classification.FunctionNames);
    }
}

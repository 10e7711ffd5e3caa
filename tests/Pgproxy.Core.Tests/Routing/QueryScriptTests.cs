using Pgproxy.Core.Routing;

namespace Pgproxy.Core.Tests.Routing;

/// <summary>How a query string that begins or ends a transaction is cut into steps (DESIGN §3.8).</summary>
public sealed class QueryScriptTests
{
    [Fact]
    public void Transaction_control_statements_are_steps_of_their_own_and_the_rest_are_runs()
    {
        var script = QueryScript.TryCut("begin; update t set n = 1; update t set n = 2; commit; select 1")!;

        Assert.Equal(
            [("begin", true), ("update t set n = 1; update t set n = 2", false), ("commit", true), ("select 1", false)],
            script.Steps.Select(s => (s.Text, s.Control)));
        Assert.Equal([0, 7, 47, 55], script.Steps.Select(s => s.Position));
    }

    [Fact]
    public void A_statement_said_to_run_alone_is_a_step_of_its_own_between_the_runs()
    {
        // An INSERT that takes insert_lock's lock: held no longer than the INSERT, not over the UPDATE before or after.
        var script = QueryScript.TryCut("update t set n = 1; insert into s values (1); update t set n = 2; select 1",
            s => s.Flags.HasFlag(StatementFlags.Insert))!;

        Assert.Equal(
            [("update t set n = 1", false), ("insert into s values (1)", false), ("update t set n = 2; select 1", false)],
            script.Steps.Select(s => (s.Text, s.Control)));
        Assert.Equal([0, 20, 46], script.Steps.Select(s => s.Position));
        Assert.Single(QueryScript.TryCut("insert into s values (1)", s => true)!.Steps);
    }

    [Theory]
    [InlineData("savepoint a", true)]
    [InlineData("release a", true)]
    [InlineData("rollback to a", true)]
    [InlineData("prepare transaction 'x'", true)]
    [InlineData("start transaction isolation level serializable", true)]
    [InlineData("end", true)]
    [InlineData("abort", true)]
    [InlineData("set x = 1", false)]
    [InlineData("prepare p as select 1", false)]
    [InlineData("create function f() returns int begin atomic; select 1; end", false)]
    public void Classifies_control_statements(string statement, bool control)
    {
        var script = QueryScript.TryCut("commit; " + statement)!;

        Assert.Equal(control, script.Steps[^1].Control);
        Assert.Equal(statement, script.Steps[^1].Text);
    }

    [Fact]
    public void Positions_count_code_points_as_postgresql_does()
    {
        // '😀' is two UTF-16 units and one character for PostgreSQL's error position.
        var script = QueryScript.TryCut("select '😀é'; commit")!;

        Assert.Equal(13, script.Steps[1].Position);
    }

    [Fact]
    public void Comments_and_semicolons_inside_strings_do_not_cut()
    {
        var script = QueryScript.TryCut("begin; /* ; commit */ insert into t values ('a;b'); -- commit;\ncommit")!;

        Assert.Equal(["begin", "insert into t values ('a;b')", "commit"], script.Steps.Select(s => s.Text));
    }

    [Theory]
    [InlineData("select 'unterminated; commit")]
    [InlineData("select (1; commit")]
    [InlineData(" ; ")]
    public void Strings_postgresql_rejects_whole_are_not_cut(string sql) => Assert.Null(QueryScript.TryCut(sql));

    [Theory]
    [InlineData("commit", true)]
    [InlineData("END WORK", true)]
    [InlineData("rollback transaction and no chain", true)]
    [InlineData("commit and chain", false)]
    [InlineData("rollback to s", false)]
    [InlineData("commit prepared 'x'", false)]
    public void Plain_end(string text, bool plain) => Assert.Equal(plain, QueryScript.IsPlainEnd(text));

    [Theory]
    [InlineData("begin", true)]
    [InlineData("START TRANSACTION", true)]
    [InlineData("begin work", true)]
    [InlineData("begin isolation level serializable", false)]
    public void Bare_begin(string text, bool bare) => Assert.Equal(bare, QueryScript.IsBareBegin(text));
}

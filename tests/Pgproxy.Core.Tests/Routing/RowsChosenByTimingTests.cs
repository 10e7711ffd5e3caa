using Pgproxy.Core.Routing;

namespace Pgproxy.Core.Tests.Routing;

/// <summary>
/// SKIP LOCKED and NOWAIT make the rows a statement touches depend on what other sessions hold at that instant,
/// which differs between nodes: a locking SELECT runs on main alone, a write that chooses rows so is flagged.
/// </summary>
public sealed class RowsChosenByTimingTests
{
    [Theory]
    [InlineData("SELECT id FROM jobs WHERE NOT taken ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED")]
    [InlineData("select * from t for update of t skip locked")]
    [InlineData("SELECT * FROM t FOR NO KEY UPDATE NOWAIT")]
    [InlineData("SELECT * FROM t FOR SHARE SKIP LOCKED")]
    [InlineData("WITH c AS (SELECT id FROM t) SELECT * FROM t FOR UPDATE SKIP LOCKED")]
    public void A_locking_select_is_a_read_for_main_alone(string sql)
    {
        var statement = StatementClassifier.Classify(sql);
        Assert.Equal(StatementKind.Read, statement.Kind);
        Assert.True(statement.Flags.HasFlag(StatementFlags.LocksOnMainOnly));
        Assert.False(statement.Flags.HasFlag(StatementFlags.TimingDependentWrite));
    }

    [Theory]
    [InlineData("UPDATE jobs SET taken = true WHERE id = (SELECT id FROM jobs WHERE NOT taken LIMIT 1 FOR UPDATE SKIP LOCKED)")]
    [InlineData("DELETE FROM q WHERE id IN (SELECT id FROM q LIMIT 10 FOR UPDATE SKIP LOCKED) RETURNING *")]
    [InlineData("WITH n AS (SELECT id FROM q LIMIT 1 FOR UPDATE SKIP LOCKED) DELETE FROM q USING n WHERE q.id = n.id")]
    [InlineData("WITH d AS (DELETE FROM q RETURNING id) SELECT * FROM t FOR UPDATE NOWAIT")]
    [InlineData("INSERT INTO done SELECT id FROM q FOR UPDATE SKIP LOCKED")]
    [InlineData("SELECT id INTO t2 FROM q FOR UPDATE SKIP LOCKED")]
    public void A_write_choosing_rows_by_timing_is_flagged(string sql)
    {
        var statement = StatementClassifier.Classify(sql);
        Assert.Equal(StatementKind.Write, statement.Kind);
        Assert.True(statement.Flags.HasFlag(StatementFlags.TimingDependentWrite));
    }

    [Theory]
    [InlineData("SELECT * FROM t FOR UPDATE")]
    [InlineData("UPDATE t SET skip = 1 WHERE locked")]
    [InlineData("LOCK TABLE t IN ACCESS EXCLUSIVE MODE NOWAIT")]
    public void Without_skip_locked_or_nowait_nothing_changes(string sql)
    {
        var statement = StatementClassifier.Classify(sql);
        Assert.False(statement.Flags.HasFlag(StatementFlags.LocksOnMainOnly));
        Assert.False(statement.Flags.HasFlag(StatementFlags.TimingDependentWrite));
    }
}

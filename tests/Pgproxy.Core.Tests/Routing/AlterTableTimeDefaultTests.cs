using Pgproxy.Core.Determinism;
using Pgproxy.Core.Routing;

namespace Pgproxy.Core.Tests.Routing;

/// <summary>
/// ALTER TABLE evaluates some of its expressions as it runs: an added column's DEFAULT fills the existing rows and
/// USING converts them. The other nodes get main's time there, and an added column keeps its expression for
/// later rows.
/// </summary>
public sealed class AlterTableTimeDefaultTests
{
    private const string Ts = "2026-11-22 10:11:12.123456+00";
    private const string Lit = "('2026-11-22 10:11:12.123456+00'::timestamptz)";

    private static string ForOthers(string sql)
    {
        var statement = StatementClassifier.Classify(sql);
        var text = TimestampRewriter.RestoreDefaults(sql, statement.TimeFunctions, statement.RestoredDefaults,
            out var spans);
        return TimestampRewriter.Rewrite(text, spans, Ts);
    }

    [Theory]
    [InlineData("ALTER TABLE t ADD COLUMN c timestamptz NOT NULL DEFAULT now()",
        $"ALTER TABLE t ADD COLUMN c timestamptz NOT NULL DEFAULT {Lit}, ALTER COLUMN c SET DEFAULT now()")]
    [InlineData("alter table if exists only s.t add c timestamptz default now() not null;",
        $"alter table if exists only s.t add c timestamptz default {Lit} not null, ALTER COLUMN c SET DEFAULT now();")]
    [InlineData("ALTER TABLE t ADD COLUMN \"Made\" date DEFAULT CURRENT_DATE + 1 CHECK (true), ADD COLUMN n int",
        "ALTER TABLE t ADD COLUMN \"Made\" date DEFAULT ('2026-11-22 10:11:12.123456+00'::timestamptz::date) + 1 " +
        "CHECK (true), ADD COLUMN n int, ALTER COLUMN \"Made\" SET DEFAULT CURRENT_DATE + 1")]
    [InlineData("ALTER TABLE t ADD a timestamptz DEFAULT now(), ADD b timestamptz DEFAULT (now() - interval '1 day')",
        $"ALTER TABLE t ADD a timestamptz DEFAULT {Lit}, ADD b timestamptz DEFAULT ({Lit} - interval '1 day'), " +
        "ALTER COLUMN a SET DEFAULT now(), ALTER COLUMN b SET DEFAULT (now() - interval '1 day')")]
    [InlineData("ALTER TABLE t ALTER COLUMN c TYPE timestamptz USING now()",
        $"ALTER TABLE t ALTER COLUMN c TYPE timestamptz USING {Lit}")]
    // Only stored: left as it is (a literal would freeze the default for good).
    [InlineData("ALTER TABLE t ALTER COLUMN c SET DEFAULT now()", "ALTER TABLE t ALTER COLUMN c SET DEFAULT now()")]
    [InlineData("ALTER TABLE t ADD CONSTRAINT k CHECK (c <= now())", "ALTER TABLE t ADD CONSTRAINT k CHECK (c <= now())")]
    [InlineData("ALTER TABLE t ADD COLUMN n int DEFAULT 1", "ALTER TABLE t ADD COLUMN n int DEFAULT 1")]
    public void The_others_get_main_time_for_existing_rows_and_the_expression_for_later_ones(string sql,
        string expected)
    {
        Assert.Equal(expected, ForOthers(sql));
    }

    [Fact]
    public void A_stored_default_beside_an_added_one_stays_stored()
    {
        var statement = StatementClassifier.Classify(
            "ALTER TABLE t ALTER COLUMN a SET DEFAULT now(), ADD COLUMN b timestamptz DEFAULT now()");
        Assert.Single(statement.TimeFunctions);
        Assert.True(statement.Flags.HasFlag(StatementFlags.StoredTimeFunctions));
        Assert.Equal("b", Assert.Single(statement.RestoredDefaults).Column);
    }
}

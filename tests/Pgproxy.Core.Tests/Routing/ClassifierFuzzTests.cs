using System.Text;
using Pgproxy.Core.Determinism;
using Pgproxy.Core.Routing;

namespace Pgproxy.Core.Tests.Routing;

/// <summary>
/// Random garbage and mangled SQL: the classifier must never throw, its spans must stay inside the text and in
/// order (so the rewriter accepts them), and anything PostgreSQL would reject as unterminated is a write.
/// </summary>
public sealed class ClassifierFuzzTests
{
    private static readonly string[] Seeds =
    [
        "SELECT abalance FROM pgbench_accounts WHERE aid = 123;",
        "INSERT INTO t (a, ts) VALUES ($1, now()) RETURNING *",
        "WITH x AS (DELETE FROM t RETURNING *) SELECT * FROM x FOR UPDATE",
        "CREATE FUNCTION f() RETURNS int BEGIN ATOMIC SELECT CASE WHEN 1 THEN 2 END; END",
        "SELECT E'\\'', $$a$$, $t$b$t$, \"q\"\"x\", U&'\\0041', B'1', /* c /* d */ */ 1 -- e",
        "EXPLAIN (ANALYZE, FORMAT json) UPDATE t SET ts = CURRENT_TIMESTAMP(3) WHERE d < CURRENT_DATE",
        "COPY (SELECT 'now'::timestamp) TO STDOUT; BEGIN ISOLATION LEVEL SERIALIZABLE; COMMIT",
        "PREPARE p (int) AS SELECT pg_catalog.now() + $1 * interval '1 s'; EXECUTE p(1); DEALLOCATE p",
    ];

    private const string Alphabet = "abcdeSELECTFROMWHEREINSERTnow()CURRENT_TIMESTAMP'\"$;/*-\\:.,[] \n\tE&U1234é";

    [Fact]
    public void RandomText_NeverThrows()
    {
        var random = new Random(20261122);
        for (var i = 0; i < 20_000; i++)
        {
            var length = random.Next(0, 80);
            var chars = new char[length];
            for (var j = 0; j < length; j++)
            {
                chars[j] = random.Next(10) == 0 ? (char)random.Next(0, 0x3000) : Alphabet[random.Next(Alphabet.Length)];
            }

            Check(new string(chars));
        }
    }

    [Fact]
    public void MangledSql_NeverThrows()
    {
        var random = new Random(42);
        for (var i = 0; i < 20_000; i++)
        {
            var sb = new StringBuilder(Seeds[random.Next(Seeds.Length)]);
            for (var edits = random.Next(1, 4); edits > 0 && sb.Length > 0; edits--)
            {
                var at = random.Next(sb.Length);
                switch (random.Next(3))
                {
                    case 0:
                        sb.Remove(at, Math.Min(random.Next(1, 6), sb.Length - at));
                        break;
                    case 1:
                        sb.Insert(at, Alphabet[random.Next(Alphabet.Length)]);
                        break;
                    default:
                        sb.Length = at;
                        break;
                }
            }

            Check(sb.ToString());
        }
    }

    [Fact]
    public void RandomBytes_NeverThrow()
    {
        var random = new Random(7);
        var bytes = new byte[64];
        for (var i = 0; i < 5_000; i++)
        {
            random.NextBytes(bytes);
            var c = StatementClassifier.Classify(bytes.AsSpan(0, random.Next(bytes.Length)));
            Assert.True(Enum.IsDefined(c.Kind));
        }
    }

    [Theory]
    [InlineData("SELECT 'abc")]
    [InlineData("SELECT $$abc")]
    [InlineData("SELECT /* abc")]
    [InlineData("SELECT \"abc")]
    public void EveryPrefixOfAnUnterminatedLiteral_IsWrite(string sql)
    {
        for (var extra = 0; extra < 3; extra++)
        {
            Assert.Equal(StatementKind.Write, StatementClassifier.Classify(sql + new string('x', extra)).Kind);
        }
    }

    private static void Check(string sql)
    {
        var c = StatementClassifier.Classify(sql);
        Assert.True(Enum.IsDefined(c.Kind), sql);
        Assert.Equal(c.TimeFunctions.Count > 0, c.Flags.HasFlag(StatementFlags.HasTimeFunctions));
        var end = 0;
        foreach (var span in c.TimeFunctions)
        {
            Assert.True(span.Start >= end && span.Length > 0 && span.Start + span.Length <= sql.Length, sql);
            end = span.Start + span.Length;
        }

        _ = TimestampRewriter.Rewrite(sql, c.TimeFunctions, "2026-01-01 00:00:00+00");
    }
}

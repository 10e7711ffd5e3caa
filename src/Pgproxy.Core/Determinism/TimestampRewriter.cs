using System.Text;
using Pgproxy.Core.Routing;

namespace Pgproxy.Core.Determinism;

/// <summary>
/// Replaces current-time expressions with main's transaction timestamp, so that the other nodes store the
/// same values main did. The literal is the text of main's <c>now()</c> in the session's time zone; casting it
/// to the original expression's type gives each node exactly main's value (the session settings are the same on
/// every node, because SET goes to all of them).
/// </summary>
internal static class TimestampRewriter
{
    /// <summary>
    /// Returns <paramref name="sql"/> with every span replaced: now()/CURRENT_TIMESTAMP/transaction_timestamp() by
    /// <c>('ts'::timestamptz[(p)])</c>, CURRENT_DATE by <c>('ts'::timestamptz::date)</c>, CURRENT_TIME by
    /// <c>('ts'::timestamptz::timetz[(p)])</c>, LOCALTIMESTAMP by <c>('ts'::timestamptz::timestamp[(p)])</c>,
    /// LOCALTIME by <c>('ts'::timestamptz::time[(p)])</c>. The parentheses keep operators binding as before.
    /// A <c>'now'</c>/<c>'today'</c>/… literal becomes a typed expression (see <see cref="AppendLiteralReplacement"/>).
    /// </summary>
    /// <param name="sql">The original text the spans point into.</param>
    /// <param name="spans">
    /// In text order, not overlapping (as <see cref="StatementClassification.TimeFunctions"/> are).
    /// </param>
    /// <param name="mainNow">The text of main's now(), e.g. <c>2026-11-22 10:11:12.123456+00</c>.</param>
    public static string Rewrite(string sql, IReadOnlyList<TimeFunctionSpan> spans, string mainNow)
    {
        ArgumentNullException.ThrowIfNull(sql);
        ArgumentNullException.ThrowIfNull(spans);
        ArgumentNullException.ThrowIfNull(mainNow);
        if (spans.Count == 0)
        {
            return sql;
        }

        var literal = Literal(mainNow);
        var result = new StringBuilder(sql.Length + (spans.Count * (literal.Length + 32)));
        var copied = 0;
        foreach (var span in spans)
        {
            if (span.Start < copied || span.Length < 0 || span.Start + span.Length > sql.Length)
            {
                throw new ArgumentException(
                    $"time function span {span.Start}+{span.Length} is out of order or outside the text", nameof(spans));
            }

            result.Append(sql, copied, span.Start - copied);
            AppendReplacement(result, literal, span, sql);
            copied = span.Start + span.Length;
        }

        return result.Append(sql, copied, sql.Length - copied).ToString();
    }

    /// <summary>
    /// Appends <c>, ALTER COLUMN c SET DEFAULT expression</c> to each ALTER TABLE that adds a column with a time-based
    /// default (see <see cref="RestoredDefault"/>), and moves the spans behind an insertion along with the text.
    /// </summary>
    public static string RestoreDefaults(string sql, IReadOnlyList<TimeFunctionSpan> spans,
        IReadOnlyList<RestoredDefault> restores, out IReadOnlyList<TimeFunctionSpan> moved)
    {
        ArgumentNullException.ThrowIfNull(sql);
        ArgumentNullException.ThrowIfNull(spans);
        ArgumentNullException.ThrowIfNull(restores);
        moved = spans;
        if (restores.Count == 0)
        {
            return sql;
        }

        var result = new StringBuilder(sql.Length + (restores.Count * 64));
        var shifted = new List<TimeFunctionSpan>(spans);
        var copied = 0;
        foreach (var restore in restores)
        {
            result.Append(sql, copied, restore.InsertAt - copied);
            copied = restore.InsertAt;
            var before = result.Length;
            result.Append(", ALTER COLUMN ").Append(restore.Column).Append(" SET DEFAULT ")
                .Append(sql, restore.ExpressionStart, restore.ExpressionLength);
            var added = result.Length - before;
            for (var i = 0; i < shifted.Count; i++)
            {
                if (shifted[i].Start >= restore.InsertAt)
                {
                    shifted[i] = shifted[i] with { Start = shifted[i].Start + added };
                }
            }
        }

        moved = shifted;
        return result.Append(sql, copied, sql.Length - copied).ToString();
    }

    /// <summary>Main's timestamp as an SQL string literal.</summary>
    public static string Literal(string mainNow) => "'" + mainNow.Replace("'", "''", StringComparison.Ordinal) + "'";

    /// <summary>
    /// Appends what replaces one span, given <see cref="Literal"/> of main's timestamp and the text the span points
    /// into (a typed literal's type is copied from it).
    /// </summary>
    public static void AppendReplacement(StringBuilder result, string literal, TimeFunctionSpan span, string source)
    {
        if (span.Kind is TimeFunctionKind.NowLiteral or TimeFunctionKind.TodayLiteral
            or TimeFunctionKind.TomorrowLiteral or TimeFunctionKind.YesterdayLiteral)
        {
            AppendLiteralReplacement(result, literal, span, source);
            return;
        }

        result.Append('(').Append(literal).Append("::timestamptz");
        var type = span.Kind switch
        {
            TimeFunctionKind.CurrentDate => "::date",
            TimeFunctionKind.CurrentTime => "::timetz",
            TimeFunctionKind.LocalTimestamp => "::timestamp",
            TimeFunctionKind.LocalTime => "::time",
            _ => "",
        };
        result.Append(type);
        if (span.Precision >= 0 && span.Kind != TimeFunctionKind.CurrentDate)
        {
            result.Append('(').Append(span.Precision).Append(')');
        }

        result.Append(')');
    }

    /// <summary>
    /// A <c>'now'</c>/<c>'today'</c>/… literal becomes a typed value that PostgreSQL converts exactly as it converts
    /// the special input on main: <c>('ts'::timestamptz)</c> for now, and for the day words the session-local
    /// midnight as a timestamp, <c>((('ts'::timestamptz)::date + 1)::timestamp)</c>. A string would not do: the
    /// +00 literal read as a timestamp, time or date drops its offset and gives UTC's wall clock, not the session's.
    /// The cast that follows (<c>::date</c>, <c>AS timetz</c>) stays and applies the session's time zone as for
    /// 'now'. A typed literal (<c>timestamp(3) 'now'</c>) cannot take an expression, so it becomes
    /// <c>((value)::timestamp(3))</c> whole.
    /// </summary>
    private static void AppendLiteralReplacement(StringBuilder result, string literal, TimeFunctionSpan span,
        string source)
    {
        result.Append('(');
        if (span.TypeLength > 0)
        {
            result.Append('(');
        }

        var days = span.Kind switch
        {
            TimeFunctionKind.TodayLiteral => "",
            TimeFunctionKind.TomorrowLiteral => " + 1",
            TimeFunctionKind.YesterdayLiteral => " - 1",
            _ => null,
        };
        if (days is null)
        {
            result.Append(literal).Append("::timestamptz");
        }
        else
        {
            // Through date, so the day is the session's, then timestamp: 'today'::timestamp is local midnight even
            // where a DST change skips it.
            result.Append("((").Append(literal).Append("::timestamptz)::date").Append(days).Append(")::timestamp");
        }

        result.Append(')');
        if (span.TypeLength > 0)
        {
            result.Append("::").Append(source.AsSpan(span.Start, span.TypeLength).TrimEnd()).Append(')');
        }
    }
}

using System.Text;
using Pgproxy.Core.Routing;

namespace Pgproxy.Core.Determinism;

/// <summary>
/// What the other nodes' copy of a statement needs so that defaults do not diverge: edits that spell out main's
/// value for columns the statement leaves to a time-based default, or the reason it must be refused instead.
/// Immutable; computed from the original text before main runs it, rendered once main's timestamp is known.
/// </summary>
internal sealed class DefaultsRewrite
{
    public static readonly DefaultsRewrite None = new([], null);

    public DefaultsRewrite(IReadOnlyList<TextEdit> edits, string? refusal)
    {
        Edits = edits;
        Refusal = refusal;
    }

    /// <summary>Non-overlapping, in text order.</summary>
    public IReadOnlyList<TextEdit> Edits { get; }

    /// <summary>
    /// Why the statement would diverge however it is rewritten (a volatile default left to the nodes…), as the
    /// message for the client under <c>nondeterministic_write = error</c>; null when it can be made safe.
    /// </summary>
    public string? Refusal { get; }

    /// <summary>The others' text depends on main's timestamp: main must report it.</summary>
    public bool NeedsNow
    {
        get
        {
            foreach (var edit in Edits)
            {
                if (edit.TimeFunctions.Count > 0)
                {
                    return true;
                }
            }

            return false;
        }
    }

    /// <summary>
    /// The statement for the other nodes: <paramref name="sql"/> with the edits applied and, like
    /// <see cref="TimestampRewriter.Rewrite"/>, its own time expressions (<paramref name="spans"/>, in text order,
    /// never overlapping an edit) replaced by main's timestamp.
    /// </summary>
    /// <param name="sql">The text the edits and spans point into.</param>
    /// <param name="spans">The statement's own time expressions.</param>
    /// <param name="mainNow">Main's timestamp; may be null only when nothing needs it.</param>
    public string Render(string sql, IReadOnlyList<TimeFunctionSpan> spans, string? mainNow)
    {
        ArgumentNullException.ThrowIfNull(sql);
        ArgumentNullException.ThrowIfNull(spans);
        if (Edits.Count == 0)
        {
            return mainNow is null || spans.Count == 0 ? sql : TimestampRewriter.Rewrite(sql, spans, mainNow);
        }

        var literal = mainNow is null ? null : TimestampRewriter.Literal(mainNow);
        var result = new StringBuilder(sql.Length + 64);
        var copied = 0;
        var nextSpan = 0;
        foreach (var edit in Edits)
        {
            // Spans before the edit (a span starting where an insertion goes is after it).
            while (nextSpan < spans.Count && spans[nextSpan].Start < edit.Start)
            {
                copied = AppendSpan(result, sql, copied, spans[nextSpan++], literal);
            }

            if (edit.Start < copied || edit.Start + edit.Length > sql.Length)
            {
                throw new ArgumentException($"edit at {edit.Start}+{edit.Length} overlaps a time expression or "
                                            + "another edit, or lies outside the text", nameof(sql));
            }

            result.Append(sql, copied, edit.Start - copied);
            AppendWithTime(result, edit.Text, edit.TimeFunctions, literal);
            copied = edit.Start + edit.Length;
        }

        while (nextSpan < spans.Count)
        {
            copied = AppendSpan(result, sql, copied, spans[nextSpan++], literal);
        }

        return result.Append(sql, copied, sql.Length - copied).ToString();
    }

    private static int AppendSpan(StringBuilder result, string sql, int copied, TimeFunctionSpan span, string? literal)
    {
        if (span.Start < copied || span.Start + span.Length > sql.Length)
        {
            throw new ArgumentException($"time function span {span.Start}+{span.Length} is out of order, overlaps "
                                        + "an edit or lies outside the text", nameof(sql));
        }

        result.Append(sql, copied, span.Start - copied);
        TimestampRewriter.AppendReplacement(result, literal ?? throw NoTimestamp(), span, sql);
        return span.Start + span.Length;
    }

    private static void AppendWithTime(StringBuilder result, string text, IReadOnlyList<TimeFunctionSpan> spans,
        string? literal)
    {
        var copied = 0;
        foreach (var span in spans)
        {
            result.Append(text, copied, span.Start - copied);
            TimestampRewriter.AppendReplacement(result, literal ?? throw NoTimestamp(), span, text);
            copied = span.Start + span.Length;
        }

        result.Append(text, copied, text.Length - copied);
    }

    private static ArgumentNullException NoTimestamp() =>
        new("mainNow", "the rewrite needs main's timestamp, and none was given");
}

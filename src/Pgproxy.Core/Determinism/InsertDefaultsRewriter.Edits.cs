using Pgproxy.Core.Routing;

namespace Pgproxy.Core.Determinism;

internal static partial class InsertDefaultsRewriter
{
    /// <summary>The walker, continued: the edits it makes, and the refusals when a default cannot be spelled out.</summary>
    private sealed partial class Walker
    {
        /// <summary>
        /// <c>ON CONFLICT … DO UPDATE SET col = DEFAULT</c> evaluates the default too, and <c>col = 'now'</c> reads the
        /// time as in VALUES.
        /// </summary>
        private void ConflictUpdate(int on, int end, string table, TableDefaults defaults)
        {
            if (!Is(on, SqlKeyword.On) || !Is(on + 1, SqlKeyword.Conflict))
            {
                return;
            }

            var j = on + 2;
            while (j < end && !(Is(j, SqlKeyword.Do) && Is(j + 1, SqlKeyword.Update) && Is(j + 2, SqlKeyword.Set)))
            {
                j = Kind(j) == SqlTokenKind.OpenParen ? Matching(j) + 1 : j + 1;
                if (j <= 0)
                {
                    return;
                }
            }

            if (j < end)
            {
                Assignments(j + 3, end, table, defaults, replaceDefaults: true);
            }
        }

        /// <summary>A <c>DEFAULT</c> token standing for a diverging column's value.</summary>
        private void ReplaceDefault(int token, string table, TableColumn column)
        {
            if (Refuse(table, column))
            {
                return;
            }

            var text = new ExpressionText();
            text.Add(column);
            Edit(_tokens[token].Start, _tokens[token].Length, text, prefix: "", suffix: "");
        }

        /// <summary>
        /// Notes why a column cannot be made safe (volatile default, or an edit inside a PREPARE body); true when
        /// no edit must be made for it.
        /// </summary>
        private bool Refuse(string table, TableColumn column)
        {
            if (column.Kind == ColumnDefaultKind.Volatile)
            {
                _refusal ??= $"pgproxy refuses {_statement} that leaves column \"{column.Name}\" of {table} to its " +
                             $"default, which calls {column.Function}(): its value would differ between nodes " +
                             "(nondeterministic_write = error)";
                return true;
            }

            if (_prepared)
            {
                _refusal ??= $"pgproxy refuses PREPARE of {_statement} that leaves column \"{column.Name}\" of {table} " +
                             $"to its default {column.Expression}: every node would evaluate it on its own at EXECUTE; " +
                             "give the column a value, or prepare the statement through the extended protocol " +
                             "(nondeterministic_write = error)";
                return true;
            }

            return false;
        }

        private void CannotTell(string table, TableDefaults defaults)
        {
            foreach (var column in defaults.Columns)
            {
                if (column.Diverges)
                {
                    _refusal ??= $"pgproxy cannot tell which columns of {table} this INSERT leaves to their " +
                                 $"defaults (no column list, and a source of unknown width), and column " +
                                 $"\"{column.Name}\" defaults to {column.Expression}, which would differ between " +
                                 "nodes: list the target columns (nondeterministic_write = error)";
                    return;
                }
            }
        }

        /// <summary>
        /// An untyped <c>'now'</c> (or 'today'…) VALUES item for a date/time column: PostgreSQL reads it as that
        /// type, so it is the transaction's time there; the others get main's as for a cast one. The replacement is
        /// typed (timestamptz, or timestamp for the day words) and the column's assignment cast converts it in the
        /// session's time zone, as the input function would have.
        /// </summary>
        private void ReplaceTimeString(int token)
        {
            if (Kind(token) is not (SqlTokenKind.String or SqlTokenKind.EscapeString)
                || CallScanner.SpecialTimeInput(StatementParser.StringContent(St.TextOf(token))) is not { } kind)
            {
                return;
            }

            var text = St.TextOf(token).ToString();
            _edits.Add(new TextEdit(_tokens[token].Start, _tokens[token].Length, text,
                [new TimeFunctionSpan(0, text.Length, kind, -1)]));
        }

        private void Edit(int start, int length, ExpressionText text, string prefix, string suffix)
        {
            var spans = new TimeFunctionSpan[text.Spans.Count];
            for (var i = 0; i < spans.Length; i++)
            {
                spans[i] = text.Spans[i] with { Start = text.Spans[i].Start + prefix.Length };
            }

            _edits.Add(new TextEdit(start, length, prefix + text.Text + suffix, spans));
        }
    }
}

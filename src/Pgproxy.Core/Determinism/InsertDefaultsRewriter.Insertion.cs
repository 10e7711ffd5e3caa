using System.Text;
using Pgproxy.Core.Routing;

namespace Pgproxy.Core.Determinism;

internal static partial class InsertDefaultsRewriter
{
    private sealed partial class Walker
    {
        /// <summary>The target columns and omitted defaults of one INSERT, and the edits for each source shape.</summary>
        private readonly struct Insertion(
            Walker walker, string table, TableDefaults defaults, List<string>? listed, int listClose, int targetEnd)
        {
            /// <summary><c>DEFAULT VALUES</c>: every column is left to its default.</summary>
            public void DefaultValues(int start, int end)
            {
                var omitted = Omitted([]);
                if (omitted.Count == 0)
                {
                    return;
                }

                var text = new ExpressionText();
                foreach (var column in omitted)
                {
                    text.Add(column);
                }

                walker.Edit(start, end - start, text, "(" + string.Join(", ", omitted.Select(c => c.QuotedName))
                                                          + ") VALUES (", ")");
            }

            /// <summary>
            /// <c>VALUES (…), (…)</c>: DEFAULT items and untyped 'now' for date/time columns replaced, omitted columns
            /// appended to every row.
            /// </summary>
            public void Values(List<(int Open, int Close)> rows)
            {
                var width = walker.Items(rows[0].Open + 1, rows[0].Close).Count;
                var targets = Targets(width);
                if (targets is null)
                {
                    return;
                }

                foreach (var (open, close) in rows)
                {
                    var items = walker.Items(open + 1, close);
                    for (var i = 0; i < items.Count && i < targets.Count; i++)
                    {
                        var (first, last) = items[i];
                        if (first == last && walker.Is(first, SqlKeyword.Default)
                                          && defaults.Find(targets[i]) is { Diverges: true } column)
                        {
                            walker.ReplaceDefault(first, table, column);
                        }
                        else if (first == last && defaults.Find(targets[i]) is { IsTime: true })
                        {
                            walker.ReplaceTimeString(first);
                        }
                    }
                }

                var omitted = Omitted(targets);
                if (omitted.Count == 0)
                {
                    return;
                }

                var text = Expressions(omitted);
                foreach (var (_, close) in rows)
                {
                    walker.Edit(walker._tokens[close].Start, 0, text, ", ", "");
                }

                NameColumns(targets, omitted);
            }

            /// <summary>A query as the source: the expressions appended to its select lists.</summary>
            public void Select(int start, int end)
            {
                var width = listed is null ? walker.QueryWidth(start, end) : 0;
                if (width < 0)
                {
                    walker.CannotTell(table, defaults);
                    return;
                }

                var targets = Targets(width);
                if (targets is null)
                {
                    return;
                }

                SelectTimeStrings(start, end, targets);
                var omitted = Omitted(targets);
                if (omitted.Count == 0)
                {
                    return;
                }

                var edits = walker._edits.Count;
                if (!walker.AppendToQuery(start, end, Expressions(omitted)))
                {
                    walker._edits.RemoveRange(edits, walker._edits.Count - edits);
                    walker.CannotTell(table, defaults);
                    return;
                }

                NameColumns(targets, omitted);
            }

            /// <summary>
            /// <c>INSERT … SELECT 'now'</c>: PostgreSQL types an untyped literal of the INSERT's own select list by its
            /// target column, so under a date/time column it reads the transaction's time as in VALUES. Only a single
            /// SELECT: with UNION and friends the literal is text first (main then fails, and must fail alike).
            /// </summary>
            private void SelectTimeStrings(int start, int end, List<string> targets)
            {
                var i = walker.Is(start, SqlKeyword.With) ? walker.CteList(start, end, visit: false) : start;
                if (!walker.Is(i, SqlKeyword.Select))
                {
                    return;
                }

                var (listStart, listEnd) = walker.SelectList(i, end);
                for (var j = listEnd; j < end; j++)
                {
                    if (walker.Kind(j) == SqlTokenKind.OpenParen)
                    {
                        j = Math.Max(walker.Matching(j), j);
                    }
                    else if (walker.Keyword(j) is SqlKeyword.Union or SqlKeyword.Intersect or SqlKeyword.Except)
                    {
                        return;
                    }
                }

                var items = walker.Items(listStart, listEnd);
                for (var k = 0; k < items.Count && k < targets.Count; k++)
                {
                    var (first, last) = items[k];
                    if ((first == last || (last == first + 2 && walker.Is(first + 1, SqlKeyword.As)))
                        && defaults.Find(targets[k]) is { IsTime: true })
                    {
                        walker.ReplaceTimeString(first);
                    }
                }
            }

            /// <summary>The target columns: the list, or the table's first <paramref name="width"/> columns.</summary>
            private List<string>? Targets(int width)
            {
                if (listed is not null)
                {
                    return listed;
                }

                // More values than columns: PostgreSQL rejects it on main.
                return width > defaults.Columns.Count ? null : [.. defaults.Columns.Take(width).Select(c => c.Name)];
            }

            /// <summary>
            /// The time-based columns the INSERT leaves to their defaults; a volatile one is noted as the refusal.
            /// </summary>
            private List<TableColumn> Omitted(List<string> targets)
            {
                var omitted = new List<TableColumn>();
                foreach (var column in defaults.Columns)
                {
                    if (column.Diverges && !targets.Contains(column.Name) && !walker.Refuse(table, column))
                    {
                        omitted.Add(column);
                    }
                }

                return omitted;
            }

            private static ExpressionText Expressions(List<TableColumn> omitted)
            {
                var text = new ExpressionText();
                foreach (var column in omitted)
                {
                    text.Add(column);
                }

                return text;
            }

            /// <summary>Adds the omitted columns to the column list, or writes one when there was none.</summary>
            private void NameColumns(List<string> targets, List<TableColumn> omitted)
            {
                var added = string.Join(", ", omitted.Select(c => c.QuotedName));
                if (listed is not null)
                {
                    walker.Insert(walker._tokens[listClose].Start, (listed.Count > 0 ? ", " : "") + added);
                    return;
                }

                var table = defaults;
                var names = targets.Select(t => table.Find(t)!.QuotedName).Append(added);
                walker.Insert(targetEnd, " (" + string.Join(", ", names) + ")");
            }
        }
    }

    /// <summary>Default expressions, each in parentheses and comma-separated, with their time spans.</summary>
    private sealed class ExpressionText
    {
        private readonly StringBuilder _text = new();

        public List<TimeFunctionSpan> Spans { get; } = [];

        public string Text => _text.ToString();

        public void Add(TableColumn column)
        {
            if (_text.Length > 0)
            {
                _text.Append(", ");
            }

            _text.Append('(');
            var offset = _text.Length;
            _text.Append(column.Expression);
            foreach (var span in column.TimeFunctions)
            {
                Spans.Add(span with { Start = span.Start + offset });
            }

            _text.Append(')');
        }
    }
}

using Pgproxy.Core.Routing;

namespace Pgproxy.Core.Determinism;

internal static partial class InsertDefaultsRewriter
{
    private sealed partial class Walker
    {
        /// <summary>The index of ON CONFLICT or RETURNING that ends the INSERT's source, else end.</summary>
        private int BodyEnd(int k, int end)
        {
            for (var j = k; j < end; j++)
            {
                if (Kind(j) == SqlTokenKind.OpenParen)
                {
                    j = Matching(j);
                    if (j < 0)
                    {
                        return end;
                    }
                }
                else if ((Is(j, SqlKeyword.On) && Is(j + 1, SqlKeyword.Conflict)) || Is(j, SqlKeyword.Returning))
                {
                    return j;
                }
            }

            return end;
        }

        /// <summary>
        /// The rows of <c>VALUES (…), (…)</c> when nothing else follows them before <paramref name="end"/> (with
        /// ORDER BY or LIMIT it is a query, where DEFAULT is not allowed); the rows as (open, close) indexes.
        /// </summary>
        private List<(int Open, int Close)>? PlainValues(int values, int end)
        {
            var rows = ValuesRows(values, end, out var next);
            return rows is { Count: > 0 } && next == end ? rows : null;
        }

        private List<(int Open, int Close)>? ValuesRows(int values, int end, out int next)
        {
            var rows = new List<(int, int)>();
            next = values + 1;
            while (Kind(next) == SqlTokenKind.OpenParen)
            {
                var close = Matching(next);
                if (close < 0 || close >= end)
                {
                    return null;
                }

                rows.Add((next, close));
                next = close + 1;
                if (Kind(next) != SqlTokenKind.Comma || next >= end)
                {
                    break;
                }

                next++;
            }

            return rows;
        }

        /// <summary>The columns of a target list, each by its first name (<c>a.b</c> and <c>a[1]</c> set a).</summary>
        private List<string>? ColumnNames(int start, int close)
        {
            var names = new List<string>();
            foreach (var (first, last) in Items(start, close))
            {
                if (last < first || !St.IsName(first))
                {
                    return null;
                }

                names.Add(St.NamePart(first));
            }

            return names;
        }

        /// <summary>The comma-separated items of [start, end) at the top level, as inclusive token ranges.</summary>
        private List<(int First, int Last)> Items(int start, int end)
        {
            var items = new List<(int, int)>();
            var itemStart = start;
            var depth = 0;
            for (var j = start; j < end; j++)
            {
                switch (Kind(j))
                {
                    case SqlTokenKind.OpenParen or SqlTokenKind.OpenBracket:
                        depth++;
                        break;
                    case SqlTokenKind.CloseParen or SqlTokenKind.CloseBracket:
                        depth--;
                        break;
                    case SqlTokenKind.Comma when depth == 0:
                        items.Add((itemStart, j - 1));
                        itemStart = j + 1;
                        break;
                }
            }

            if (end > start)
            {
                items.Add((itemStart, end - 1));
            }

            return items;
        }

        /// <summary>
        /// The select list of <c>SELECT [ALL | DISTINCT [ON (…)]] list</c> at <paramref name="select"/>: where it
        /// starts and the index just past it (a clause keyword, a closing parenthesis, or the end).
        /// </summary>
        private (int Start, int End) SelectList(int select, int end)
        {
            var j = select + 1;
            if (Is(j, SqlKeyword.All))
            {
                j++;
            }
            else if (Is(j, SqlKeyword.Distinct))
            {
                j++;
                if (Is(j, SqlKeyword.On) && Kind(j + 1) == SqlTokenKind.OpenParen)
                {
                    j = Math.Max(Matching(j + 1), j) + 1;
                }
            }

            var start = j;
            for (; j < end; j++)
            {
                var kind = Kind(j);
                if (kind == SqlTokenKind.OpenParen)
                {
                    var close = Matching(j);
                    if (close < 0)
                    {
                        return (start, end);
                    }

                    j = close;
                }
                else if (kind is SqlTokenKind.CloseParen or SqlTokenKind.Semicolon || EndsSelectList(j))
                {
                    break;
                }
            }

            return (start, Math.Min(j, end));
        }

        /// <summary>
        /// A clause keyword after the select list; not after a dot or AS (a label may be a keyword), nor in
        /// <c>IS DISTINCT FROM</c> or <c>WITHIN GROUP</c>.
        /// </summary>
        private bool EndsSelectList(int j)
        {
            if (Kind(j) != SqlTokenKind.Word || Kind(j - 1) == SqlTokenKind.Dot
                                             || Keyword(j - 1) is SqlKeyword.As or SqlKeyword.Distinct or SqlKeyword.Within)
            {
                return false;
            }

            return Keyword(j) switch
            {
                SqlKeyword.From or SqlKeyword.Into or SqlKeyword.Where or SqlKeyword.Group or SqlKeyword.Having
                    or SqlKeyword.Window or SqlKeyword.Union or SqlKeyword.Intersect or SqlKeyword.Except
                    or SqlKeyword.Order or SqlKeyword.Limit or SqlKeyword.Offset or SqlKeyword.Fetch or SqlKeyword.For
                    or SqlKeyword.Returning => true,
                SqlKeyword.On => Is(j + 1, SqlKeyword.Conflict),
                _ => false,
            };
        }

        /// <summary>
        /// How many columns the query at [start, end) produces, from its first SELECT list or VALUES row; -1 when
        /// the text does not say (<c>*</c>, TABLE).
        /// </summary>
        private int QueryWidth(int start, int end)
        {
            var i = Is(start, SqlKeyword.With) ? CteList(start, end, visit: false) : start;
            if (Kind(i) == SqlTokenKind.OpenParen)
            {
                var close = Matching(i);
                return close < 0 || close > end ? -1 : QueryWidth(i + 1, close);
            }

            if (Is(i, SqlKeyword.Values))
            {
                var rows = ValuesRows(i, end, out _);
                return rows is { Count: > 0 } ? Items(rows[0].Open + 1, rows[0].Close).Count : -1;
            }

            if (!Is(i, SqlKeyword.Select))
            {
                return -1;
            }

            var (listStart, listEnd) = SelectList(i, end);
            var items = Items(listStart, listEnd);
            foreach (var (first, last) in items)
            {
                if (last >= first && Kind(last) == SqlTokenKind.Operator && TextIs(last, "*")
                    && (last == first || Kind(last - 1) == SqlTokenKind.Dot))
                {
                    return -1;
                }
            }

            return items.Count;
        }

        /// <summary>
        /// Adds the expressions to every arm of the query at [start, end): after each SELECT list, inside each
        /// VALUES row, and TABLE x becomes SELECT *, … FROM x. False when the query has a shape not handled.
        /// </summary>
        private bool AppendToQuery(int start, int end, ExpressionText text)
        {
            var i = Is(start, SqlKeyword.With) ? CteList(start, end, visit: false) : start;
            while (true)
            {
                if (Kind(i) == SqlTokenKind.OpenParen)
                {
                    var close = Matching(i);
                    if (close < 0 || close >= end || !AppendToQuery(i + 1, close, text))
                    {
                        return false;
                    }

                    i = close + 1;
                }
                else if (Is(i, SqlKeyword.Select))
                {
                    var (listStart, listEnd) = SelectList(i, end);
                    Edit(_tokens[listEnd - 1].End, 0, text, listEnd > listStart ? ", " : " ", "");
                    i = listEnd;
                }
                else if (Is(i, SqlKeyword.Values))
                {
                    var rows = ValuesRows(i, end, out i);
                    if (rows is not { Count: > 0 })
                    {
                        return false;
                    }

                    foreach (var (_, close) in rows)
                    {
                        Edit(_tokens[close].Start, 0, text, ", ", "");
                    }
                }
                else if (Is(i, SqlKeyword.Table))
                {
                    Edit(_tokens[i].Start, _tokens[i].Length, text, "SELECT *, ", " FROM");
                    i++;
                }
                else
                {
                    return false;
                }

                // The next arm of UNION / INTERSECT / EXCEPT, if any.
                for (; i < end; i++)
                {
                    if (Kind(i) == SqlTokenKind.OpenParen)
                    {
                        i = Matching(i);
                        if (i < 0)
                        {
                            return false;
                        }
                    }
                    else if (Keyword(i) is SqlKeyword.Union or SqlKeyword.Intersect or SqlKeyword.Except)
                    {
                        break;
                    }
                }

                if (i >= end)
                {
                    return true;
                }

                i++;
                if (Keyword(i) is SqlKeyword.All or SqlKeyword.Distinct)
                {
                    i++;
                }
            }
        }

        private bool StartsQuery(int i) => Kind(i) == SqlTokenKind.OpenParen
            || (Kind(i) == SqlTokenKind.Word
                && Keyword(i) is SqlKeyword.Select or SqlKeyword.Values or SqlKeyword.With or SqlKeyword.Table);
    }
}

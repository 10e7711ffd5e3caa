using Pgproxy.Core.Routing;

namespace Pgproxy.Core.Determinism;

internal static partial class InsertDefaultsRewriter
{
    /// <summary>
    /// The walker, continued: SET lists (an UPDATE's, and an INSERT's ON CONFLICT DO UPDATE), where an untyped
    /// <c>'now'</c> assigned to a date/time column reads the transaction's time just as in VALUES (issue 16 item 3).
    /// </summary>
    private sealed partial class Walker
    {
        /// <summary>What a refusal calls the statement whose default is at stake.</summary>
        private string _statement = "an INSERT";

        /// <summary>
        /// <c>UPDATE [ONLY] name [*] [[AS] alias] SET … [FROM …] [WHERE …] [RETURNING …]</c> within [update, end):
        /// <c>col = DEFAULT</c> evaluates the column's default as an INSERT that leaves it out does, and an untyped
        /// time word reads the transaction's time.
        /// </summary>
        private void Update(int update, int end)
        {
            var k = update + 1;
            k += Is(k, SqlKeyword.Only) ? 1 : 0;
            var nameEnd = St.SkipQualifiedName(k);
            if (nameEnd == k)
            {
                return;
            }

            var table = St.NameText(k, nameEnd);
            if (_tables is null)
            {
                if (WithUpdates && !Targets.Contains(table))
                {
                    Targets.Add(table);
                }

                return;
            }

            if (!_tables.TryGetValue(table, out var defaults) || !(defaults.HasTimeColumns || defaults.Diverges))
            {
                return;
            }

            // "*", then an alias with or without AS: SET is at most three tokens on.
            var set = nameEnd;
            while (set < end && set <= nameEnd + 3 && !Is(set, SqlKeyword.Set))
            {
                set++;
            }

            if (Is(set, SqlKeyword.Set))
            {
                _statement = "an UPDATE";
                Assignments(set + 1, end, table, defaults, replaceDefaults: true);
                _statement = "an INSERT";
            }
        }

        /// <summary>
        /// The assignments <c>col = value</c> and <c>(a, b) = ([ROW] (x, y))</c> from <paramref name="start"/> to the
        /// list's end (FROM, WHERE or RETURNING at the top level): a <c>DEFAULT</c> for a diverging column gets the
        /// default's expression (when <paramref name="replaceDefaults"/>), an untyped time word for a date/time
        /// column main's value.
        /// </summary>
        private void Assignments(int start, int end, string table, TableDefaults defaults, bool replaceDefaults)
        {
            var listEnd = end;
            for (var j = start; j < end; j++)
            {
                if (Kind(j) == SqlTokenKind.OpenParen)
                {
                    j = Matching(j);
                    if (j < 0)
                    {
                        return;
                    }
                }
                else if (Kind(j) == SqlTokenKind.Word
                         && Keyword(j) is SqlKeyword.From or SqlKeyword.Where or SqlKeyword.Returning)
                {
                    listEnd = j;
                    break;
                }
            }

            foreach (var (first, last) in Items(start, listEnd))
            {
                if (St.IsName(first) && TextIs(first + 1, "="))
                {
                    if (last == first + 2)
                    {
                        Assigned(first + 2, St.NamePart(first), table, defaults, replaceDefaults);
                    }
                }
                else if (Kind(first) == SqlTokenKind.OpenParen)
                {
                    AssignedRow(first, last, table, defaults, replaceDefaults);
                }
            }
        }

        /// <summary><c>(a, b) = ([ROW] (x, y))</c> over [first, last]: each single-token value to its column.</summary>
        private void AssignedRow(int first, int last, string table, TableDefaults defaults, bool replaceDefaults)
        {
            var close = Matching(first);
            if (close < 0 || close >= last || !TextIs(close + 1, "=") || ColumnNames(first + 1, close) is not { } names)
            {
                return;
            }

            var open = close + 2 + (Is(close + 2, SqlKeyword.Row) ? 1 : 0);
            if (Kind(open) != SqlTokenKind.OpenParen || Matching(open) != last || StartsQuery(open + 1))
            {
                return; // (a, b) = (SELECT …): the values come from a query
            }

            var values = Items(open + 1, last);
            for (var v = 0; v < values.Count && v < names.Count; v++)
            {
                if (values[v].First == values[v].Last)
                {
                    Assigned(values[v].First, names[v], table, defaults, replaceDefaults);
                }
            }
        }

        private void Assigned(int value, string column, string table, TableDefaults defaults, bool replaceDefaults)
        {
            if (Is(value, SqlKeyword.Default))
            {
                if (replaceDefaults && defaults.Find(column) is { Diverges: true } diverging)
                {
                    ReplaceDefault(value, table, diverging);
                }
            }
            else if (defaults.Find(column) is { IsTime: true })
            {
                ReplaceTimeString(value);
            }
        }
    }
}

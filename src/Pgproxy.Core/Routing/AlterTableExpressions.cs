namespace Pgproxy.Core.Routing;

/// <summary>
/// The expressions of an ALTER TABLE that PostgreSQL evaluates as it runs, although ALTER otherwise only stores
/// definitions: a DEFAULT of an added column (it fills the existing rows) and a USING conversion (it rewrites
/// them). Time functions there must get main's time on the other nodes, or the nodes' rows differ.
/// </summary>
internal static class AlterTableExpressions
{
    /// <summary>
    /// Finds the evaluated expressions of <c>ALTER TABLE</c> (ALTER at <paramref name="alter"/>): their character
    /// ranges, and for each added column's DEFAULT the <see cref="RestoredDefault"/> the others need.
    /// </summary>
    public static void Find(StatementTokens st, int alter, ref List<(int Start, int End)>? evaluated,
        ref List<RestoredDefault>? restores)
    {
        if (!st.Is(alter + 1, SqlKeyword.Table))
        {
            return;
        }

        var k = alter + 2;
        if (st.IsWord(k, "if") && st.Is(k + 1, SqlKeyword.Exists))
        {
            k += 2;
        }

        if (st.Is(k, SqlKeyword.Only))
        {
            k++;
        }

        k = st.SkipQualifiedName(k);
        if (st.Is(k, SqlTokenKind.Operator) && st.TextOf(k) is "*")
        {
            k++;
        }

        var last = st.Count - 1;
        while (last >= 0 && st.Is(last, SqlTokenKind.Semicolon))
        {
            last--;
        }

        if (last < k)
        {
            return;
        }

        var insertAt = st.Tokens[last].End;
        while (k <= last)
        {
            var end = NextTopLevel(st, k, last + 1, stopAtConstraint: false);
            Subcommand(st, k, end, insertAt, ref evaluated, ref restores);
            k = end + 1; // past the comma
        }
    }

    private static void Subcommand(StatementTokens st, int start, int end, int insertAt,
        ref List<(int Start, int End)>? evaluated, ref List<RestoredDefault>? restores)
    {
        if (st.IsWord(start, "add"))
        {
            var column = start + 1;
            if (st.IsWord(column, "column"))
            {
                column++;
            }

            if (st.IsWord(column, "if") && st.Is(column + 1, SqlKeyword.Not) && st.Is(column + 2, SqlKeyword.Exists))
            {
                column += 3;
            }

            if (!st.IsName(column) || st.Keyword(column) is SqlKeyword.Constraint or SqlKeyword.Check
                    or SqlKeyword.Unique or SqlKeyword.Primary || st.IsWord(column, "foreign")
                || st.IsWord(column, "exclude"))
            {
                return; // a table constraint: stored (and checked, but a literal would change what is stored)
            }

            for (var d = column + 1; d < end; d = Skip(st, d) + 1)
            {
                if (!st.Is(d, SqlKeyword.Default) || d + 1 >= end)
                {
                    continue;
                }

                var exprEnd = NextTopLevel(st, d + 1, end, stopAtConstraint: true);
                if (exprEnd <= d + 1)
                {
                    return;
                }

                var from = st.Tokens[d + 1].Start;
                var to = st.Tokens[exprEnd - 1].End;
                (evaluated ??= []).Add((from, to));
                (restores ??= []).Add(new RestoredDefault(insertAt, st.TextOf(column).ToString(), from, to - from));
                return;
            }

            return;
        }

        for (var u = start; u < end; u = Skip(st, u) + 1)
        {
            if (st.Is(u, SqlKeyword.Using) && u + 1 < end)
            {
                (evaluated ??= []).Add((st.Tokens[u + 1].Start, st.Tokens[end - 1].End));
                return;
            }
        }
    }

    /// <summary>
    /// The index of the next top-level comma (or, with <paramref name="stopAtConstraint"/>, the next column
    /// constraint keyword ending a DEFAULT expression) from <paramref name="from"/>; <paramref name="end"/> if none.
    /// Parentheses and CASE … END are skipped whole.
    /// </summary>
    private static int NextTopLevel(StatementTokens st, int from, int end, bool stopAtConstraint)
    {
        for (var i = from; i < end; i = Skip(st, i) + 1)
        {
            if (st.Is(i, SqlTokenKind.Comma)
                || (stopAtConstraint && (st.Keyword(i) is SqlKeyword.Not or SqlKeyword.Check or SqlKeyword.Constraint
                        or SqlKeyword.Unique or SqlKeyword.Primary or SqlKeyword.References or SqlKeyword.Collate
                        or SqlKeyword.Default
                    || st.IsWord(i, "null") || st.IsWord(i, "generated"))))
            {
                return i;
            }
        }

        return end;
    }

    /// <summary>The last index of the element at <paramref name="i"/>: a (group) or CASE … END whole.</summary>
    private static int Skip(StatementTokens st, int i)
    {
        if (st.Is(i, SqlTokenKind.OpenParen))
        {
            var close = st.MatchingParen(i);
            return close < 0 ? st.Count : close;
        }

        if (st.IsWord(i, "case"))
        {
            var depth = 0;
            for (var j = i; j < st.Count; j++)
            {
                if (st.IsWord(j, "case"))
                {
                    depth++;
                }
                else if (st.IsWord(j, "end") && --depth == 0)
                {
                    return j;
                }
            }

            return st.Count;
        }

        return i;
    }
}

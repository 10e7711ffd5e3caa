using System.Text;

namespace Pgproxy.Core.Routing;

/// <summary>
/// Finds <c>xmin</c>, the row version that EF Core (Npgsql) uses as a concurrency token. Every node numbers its
/// transactions itself, so a row's xmin differs from node to node: a token read from node 1 matched nothing on main,
/// and the UPDATE that checked it failed with XX001 (the nodes changed different numbers of rows). A read that names
/// xmin goes to main (<see cref="StatementClassification.ReadsRowVersions"/>), so the client holds main's values; an
/// UPDATE or DELETE that compares it at the top of its WHERE runs on main as written, and on the others with that
/// comparison made true or false as main's outcome says (<see cref="StatementClassification.RowVersionChecks"/>).
/// </summary>
internal static class RowVersionScanner
{
    public static StatementClassification Attach(StatementClassification statement, StatementTokens all)
    {
        if (!NamesXmin(all))
        {
            return statement;
        }

        if (statement.Kind == StatementKind.Read)
        {
            return statement.WithRowVersions(reads: true, []);
        }

        return statement.WithRowVersions(reads: false, Checks(all));
    }

    /// <summary>
    /// The text the other nodes run: each check made true when main's statement changed rows (or failed), false when it
    /// changed none, so they change the rows main changed whatever their own xmin.
    /// </summary>
    public static string Resolved(string sql, IReadOnlyList<RowVersionCheck> checks, bool matchedOnMain)
    {
        var text = new StringBuilder(sql.Length + (checks.Count * 12));
        var at = 0;
        foreach (var check in checks)
        {
            text.Append(sql, at, check.Start - at).Append('(').Append(sql, check.Start, check.Length)
                .Append(matchedOnMain ? " OR true)" : " AND false)");
            at = check.End;
        }

        return text.Append(sql, at, sql.Length - at).ToString();
    }

    private static bool NamesXmin(StatementTokens all)
    {
        for (var i = 0; i < all.Count; i++)
        {
            if (IsXmin(all, i))
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsXmin(StatementTokens all, int i) =>
        all.IsWord(i, "xmin") || (all.Is(i, SqlTokenKind.QuotedIdentifier) && all.TextOf(i).SequenceEqual("\"xmin\""));

    /// <summary>
    /// The comparisons <c>[alias.]xmin = value</c> or <c>value = [alias.]xmin</c> (value a parameter, a number or a
    /// string) that stand alone in the top-level WHERE of an UPDATE or DELETE, between WHERE or AND and AND,
    /// RETURNING or the statement's end: replaced by true or false there, the WHERE keeps its meaning for every row
    /// main matched. Anywhere else (a subquery, under OR or NOT, a cast, a routine's body) the statement is left as it
    /// is. The statements are the classifier's own (a semicolon inside BEGIN ATOMIC … END ends none).
    /// </summary>
    private static RowVersionCheck[] Checks(StatementTokens all)
    {
        List<RowVersionCheck>? checks = null;
        for (var start = 0; start <= all.Count && StatementClassifier.TryFindEnd(all, start, out var end);
             start = end + 1)
        {
            var statement = all.Slice(start, end);
            if (statement.Is(0, SqlKeyword.Update) || statement.Is(0, SqlKeyword.Delete))
            {
                AddChecks(statement, ref checks);
            }
        }

        return checks is null ? [] : [.. checks];
    }

    /// <summary>The checks of one UPDATE or DELETE, at its top level.</summary>
    private static void AddChecks(StatementTokens st, ref List<RowVersionCheck>? checks)
    {
        var depth = 0;
        for (var i = 0; i < st.Count; i++)
        {
            depth += st.Is(i, SqlTokenKind.OpenParen) ? 1 : st.Is(i, SqlTokenKind.CloseParen) ? -1 : 0;
            if (depth != 0 || !(st.Is(i, SqlKeyword.Where) || st.Is(i, SqlKeyword.And)))
            {
                continue;
            }

            if (st.Is(i, SqlKeyword.Where) && !OnlyConjunctions(st, i + 1))
            {
                return; // a WHERE with OR or NOT at its top: true there might match more rows
            }

            if (Comparison(st, i + 1) is { } last && Follows(st, last + 1))
            {
                var start = st.Tokens[i + 1].Start;
                (checks ??= []).Add(new RowVersionCheck(start, st.Tokens[last].End - start));
            }
        }
    }

    /// <summary>The WHERE from <paramref name="i"/> joins its conditions with AND alone at its top level.</summary>
    private static bool OnlyConjunctions(StatementTokens st, int i)
    {
        var depth = 0;
        for (; i < st.Count; i++)
        {
            depth += st.Is(i, SqlTokenKind.OpenParen) ? 1 : st.Is(i, SqlTokenKind.CloseParen) ? -1 : 0;
            if (depth == 0 && (st.Is(i, SqlKeyword.Or) || st.Is(i, SqlKeyword.Not)))
            {
                return false;
            }

            if (depth == 0 && st.Is(i, SqlKeyword.Returning))
            {
                return true;
            }
        }

        return true;
    }

    /// <summary>The last token of an xmin comparison starting at <paramref name="i"/>, or null.</summary>
    private static int? Comparison(StatementTokens all, int i)
    {
        if (Column(all, i) is { } column && IsEquals(all, column + 1) && IsValue(all, column + 2))
        {
            return column + 2;
        }

        if (IsValue(all, i) && IsEquals(all, i + 1) && Column(all, i + 2) is { } last)
        {
            return last;
        }

        return null;
    }

    /// <summary>The xmin token of <c>xmin</c> or <c>qualifier.xmin</c> from <paramref name="i"/>, or null.</summary>
    private static int? Column(StatementTokens all, int i)
    {
        if (IsXmin(all, i))
        {
            return i;
        }

        return all.IsName(i) && all.Is(i + 1, SqlTokenKind.Dot) && IsXmin(all, i + 2) ? i + 2 : null;
    }

    private static bool IsEquals(StatementTokens all, int i) =>
        all.Is(i, SqlTokenKind.Operator) && all.TextOf(i).SequenceEqual("=");

    private static bool IsValue(StatementTokens all, int i) =>
        all.Kind(i) is SqlTokenKind.Parameter or SqlTokenKind.Number or SqlTokenKind.String;

    /// <summary>What may follow the comparison: the statement's end, AND, or RETURNING.</summary>
    private static bool Follows(StatementTokens st, int i) =>
        i >= st.Count || st.Is(i, SqlKeyword.And) || st.Is(i, SqlKeyword.Returning);
}

namespace Pgproxy.Core.Routing;

/// <summary>
/// The RETURNING clause of a top-level INSERT, UPDATE or DELETE. What it computes goes to the client only (main's
/// answer; the others' rows are read and dropped) and into no node's data, so a call there that would differ
/// between nodes (<c>RETURNING xmin = pg_current_xact_id()::xid</c>, PostgreSQL's update test) is no reason to
/// refuse the write. A RETURNING inside parentheses (a data-modifying CTE) feeds the statement and stays evaluated.
/// </summary>
internal static class ReturningClause
{
    /// <summary>The index of the statement's own RETURNING; -1 for none, or a statement that stores its calls.</summary>
    public static int Find(StatementTokens st, in StatementInfo info)
    {
        if (info.StoresCalls || info.Kind != StatementKind.Write
            || StatementClassifier.FirstKeyword(st) is not ("INSERT" or "UPDATE" or "DELETE" or "WITH"))
        {
            return -1;
        }

        var depth = 0;
        var found = -1;
        for (var i = 0; i < st.Count; i++)
        {
            var kind = st.Tokens[i].Kind;
            depth += kind == SqlTokenKind.OpenParen ? 1 : kind == SqlTokenKind.CloseParen ? -1 : 0;
            if (depth == 0 && st.Tokens[i].Is(SqlKeyword.Returning))
            {
                found = i;
            }
        }

        return found;
    }

    /// <summary>
    /// Scans the clause at <paramref name="returning"/> (when there is one) for calls: they are called, so they count
    /// for routing, but are kept out of <paramref name="evaluated"/>, which the refusal of nondeterministic writes
    /// reads (null there means every name: it becomes the names before the clause).
    /// </summary>
    public static void ScanCalls(StatementTokens st, int returning, bool collectNames, ref List<string>? names,
        ref List<string>? evaluated, ref List<TimeFunctionSpan>? times)
    {
        if (returning < 0)
        {
            return;
        }

        evaluated ??= [.. names ?? []];
        CallScanner.Scan(st.Slice(returning), collectNames, ref names, ref times);
    }
}

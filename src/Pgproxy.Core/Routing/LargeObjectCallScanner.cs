using System.Globalization;

namespace Pgproxy.Core.Routing;

/// <summary>
/// Finds the calls in a query string that create a large object with an OID the server picks, and whether the
/// string is the one shape whose OID main's answer carries: <c>SELECT call [[AS] alias]</c> or
/// <c>SELECT * FROM call [[AS] alias]</c>, alone in the string (see <see cref="LargeObjectCall"/>).
/// </summary>
internal static class LargeObjectCallScanner
{
    /// <summary>The names looked for; any other function leaves the OIDs alone.</summary>
    public static bool MayAllocate(string function) =>
        function is "lo_creat" or "lo_create" or "lo_import" or "lo_from_bytea";

    /// <summary>Notes the string's large-object allocation, if any, in its classification (before it is shared).</summary>
    public static StatementClassification Attach(StatementClassification statement, StatementTokens all) =>
        statement.WithLargeObjects(Scan(statement, all));

    /// <summary>The string's large-object allocation, or null when no call in it lets the server pick an OID.</summary>
    public static LargeObjectCall? Scan(StatementClassification statement, StatementTokens all)
    {
        if (!statement.EvaluatedFunctionNames.Any(MayAllocate)
            || (statement.FirstKeyword == "EXPLAIN" && !statement.Flags.HasFlag(StatementFlags.ExplainAnalyze)))
        {
            return null;
        }

        var found = -1;
        var count = 0;
        for (var i = 0; i + 1 < all.Count; i++)
        {
            if (all.IsName(i) && all.Is(i + 1, SqlTokenKind.OpenParen) && MayAllocate(all.NamePart(i))
                && Allocation(all, i).Zero != false)
            {
                found = found < 0 ? i : found;
                count++;
            }
        }

        if (found < 0)
        {
            return null;
        }

        var function = all.NamePart(found);
        var (allocates, parameter, argStart, argEnd) = Allocation(all, found);
        var close = all.MatchingParen(found + 1);
        if (count > 1 || statement.StatementCount != 1 || (allocates is null && parameter == 0)
            || statement.Flags.HasFlag(StatementFlags.HasTimeFunctions) || !Alone(all, found, close, out var alias))
        {
            return LargeObjectCall.Refused(function);
        }

        if (parameter > 0)
        {
            return LargeObjectCall.ByParameter(function, parameter);
        }

        var text = all.Text;
        var closeToken = all.Tokens[close];
        return function switch
        {
            // lo_create(X) returns X as lo_creat did; the alias keeps the column's name.
            "lo_creat" => LargeObjectCall.Rewritable(function,
                string.Concat(text[..all.Tokens[found].Start], "lo_create("),
                string.Concat(")", alias ? "" : " AS lo_creat", text[closeToken.End..])),
            "lo_import" when argStart < 0 => LargeObjectCall.Rewritable(function,
                string.Concat(text[..closeToken.Start], ", "), text[closeToken.Start..].ToString()),
            _ => LargeObjectCall.Rewritable(function, text[..all.Tokens[argStart].Start].ToString(),
                text[all.Tokens[argEnd - 1].End..].ToString()),
        };
    }

    /// <summary>
    /// What the call at <paramref name="name"/> does with the OID: Allocates when the server picks it (Zero true),
    /// or may (a parameter, or an argument that is no constant: Zero null); the OID argument's tokens [start, end),
    /// start -1 when the call has none (lo_creat, lo_import(path)).
    /// </summary>
    private static (bool? Zero, int Parameter, int Start, int End) Allocation(StatementTokens all, int name)
    {
        var function = all.NamePart(name);
        var open = name + 1;
        var close = all.MatchingParen(open);
        if (close < 0)
        {
            return (false, 0, -1, -1);
        }

        Span<int> commas = stackalloc int[3];
        var args = Arguments(all, open, close, commas);
        var oidArg = (function, args) switch
        {
            ("lo_creat", 1) or ("lo_import", 1) => -1,
            ("lo_create", 1) or ("lo_from_bytea", 2) => 0,
            ("lo_import", 2) => 1,
            _ => -2,
        };
        if (oidArg == -2)
        {
            return (false, 0, -1, -1); // a signature PostgreSQL has not: it fails alike on every node
        }

        if (oidArg == -1)
        {
            return (true, 0, -1, -1);
        }

        var start = oidArg == 0 ? open + 1 : commas[oidArg - 1] + 1;
        var end = oidArg + 1 < args ? commas[oidArg] : close;
        var (zero, parameter) = OidArgument(all, start, end);
        return (zero, parameter, start, end);
    }

    /// <summary>The number of top-level arguments between the parentheses, the first commas' indexes kept.</summary>
    private static int Arguments(StatementTokens all, int open, int close, Span<int> commas)
    {
        if (close == open + 1)
        {
            return 0;
        }

        var args = 1;
        for (var i = open + 1; i < close; i++)
        {
            if (all.Is(i, SqlTokenKind.OpenParen) || all.Is(i, SqlTokenKind.OpenBracket))
            {
                i = SkipNested(all, i);
            }
            else if (all.Is(i, SqlTokenKind.Comma))
            {
                if (args <= commas.Length)
                {
                    commas[args - 1] = i;
                }

                args++;
            }
        }

        return args;
    }

    private static int SkipNested(StatementTokens all, int open)
    {
        var depth = 0;
        for (var i = open; i < all.Count; i++)
        {
            var kind = all.Kind(i);
            if (kind is SqlTokenKind.OpenParen or SqlTokenKind.OpenBracket)
            {
                depth++;
            }
            else if (kind is SqlTokenKind.CloseParen or SqlTokenKind.CloseBracket && --depth == 0)
            {
                return i;
            }
        }

        return all.Count;
    }

    /// <summary>
    /// An OID argument: a constant (<c>0</c>, <c>'0'</c>, <c>-0</c>, with a cast) is zero or not; a lone parameter
    /// gives its number; anything else may be zero (null).
    /// </summary>
    private static (bool? Zero, int Parameter) OidArgument(StatementTokens all, int start, int end)
    {
        var i = start;
        if (all.Is(i, SqlTokenKind.Operator) && all.TextOf(i) is "+" or "-")
        {
            i++;
        }

        var value = i < end ? all.Kind(i) : SqlTokenKind.Unterminated;
        var text = value switch
        {
            SqlTokenKind.Number => all.TextOf(i).ToString(),
            SqlTokenKind.String => all.TextOf(i)[1..^1].ToString().Trim(),
            _ => null,
        };
        var parameter = value == SqlTokenKind.Parameter && i == start
            && int.TryParse(all.TextOf(i)[1..], NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 0;
        i++;
        if (all.Is(i, SqlTokenKind.DoubleColon))
        {
            i = all.SkipQualifiedName(i + 1);
        }

        if (i != end)
        {
            return (null, 0);
        }

        if (parameter > 0)
        {
            return (null, parameter);
        }

        return text is not null && decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d)
            ? (d == 0, 0)
            : (null, 0);
    }

    /// <summary>
    /// True when the call is all the statement does: <c>SELECT call</c> or <c>SELECT * FROM call</c>, then at
    /// most an alias and semicolons.
    /// </summary>
    private static bool Alone(StatementTokens all, int name, int close, out bool alias)
    {
        alias = false;
        var start = name;
        while (all.Is(start - 1, SqlTokenKind.Dot) && all.IsName(start - 2))
        {
            start -= 2;
        }

        var selected = start == 1
                       || (start == 3 && all.Is(1, SqlTokenKind.Operator) && all.TextOf(1) is "*"
                           && all.Is(2, SqlKeyword.From));
        if (!all.Is(0, SqlKeyword.Select) || !selected || close < 0)
        {
            return false;
        }

        var i = close + 1;
        var asWord = all.Is(i, SqlKeyword.As);
        i += asWord ? 1 : 0;
        if (all.IsName(i) && (asWord || all.Keyword(i) == SqlKeyword.None || all.Is(i, SqlTokenKind.QuotedIdentifier)))
        {
            alias = true;
            i++;
        }

        while (all.Is(i, SqlTokenKind.Semicolon))
        {
            i++;
        }

        return i == all.Count;
    }
}

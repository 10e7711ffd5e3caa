namespace Pgproxy.Core.Routing;

/// <summary>
/// Finds function calls and current-time expressions in a statement's tokens. Because a call that is missed can
/// turn a write into a read sent to one node, names are included whenever grammar does not rule them out.
/// </summary>
internal static class CallScanner
{
    /// <summary>
    /// Adds the statement's call names (distinct; only when <paramref name="collectNames"/>) to
    /// <paramref name="names"/> and its time expressions to <paramref name="times"/>.
    /// </summary>
    public static void Scan(
        StatementTokens st, bool collectNames, ref List<string>? names, ref List<TimeFunctionSpan>? times)
    {
        var tokens = st.Tokens;
        for (var i = 0; i < tokens.Length; i++)
        {
            var token = tokens[i];
            switch (token.Kind)
            {
                case SqlTokenKind.Word when IsTimeKeyword(token.Keyword) && !st.Is(i - 1, SqlTokenKind.Dot):
                    i = TimeKeyword(st, i, ref times);
                    break;
                case SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier
                    when collectNames && st.Is(i + 1, SqlTokenKind.OpenParen):
                    Call(st, i, ref names, ref times);
                    break;
                case SqlTokenKind.String or SqlTokenKind.EscapeString when LiteralKind(st, i) is { } literal:
                    (times ??= []).Add(TimeLiteral(st, i, literal));
                    break;
            }
        }
    }

    private static bool IsTimeKeyword(SqlKeyword keyword) => keyword is SqlKeyword.CurrentTimestamp
        or SqlKeyword.CurrentDate or SqlKeyword.CurrentTime or SqlKeyword.Localtime or SqlKeyword.Localtimestamp;

    /// <summary>CURRENT_DATE, or CURRENT_TIME/CURRENT_TIMESTAMP/LOCALTIME/LOCALTIMESTAMP [(precision)].</summary>
    private static int TimeKeyword(StatementTokens st, int i, ref List<TimeFunctionSpan>? times)
    {
        var kind = st.Keyword(i) switch
        {
            SqlKeyword.CurrentTimestamp => TimeFunctionKind.CurrentTimestamp,
            SqlKeyword.CurrentDate => TimeFunctionKind.CurrentDate,
            SqlKeyword.CurrentTime => TimeFunctionKind.CurrentTime,
            SqlKeyword.Localtime => TimeFunctionKind.LocalTime,
            _ => TimeFunctionKind.LocalTimestamp,
        };
        var start = st.Tokens[i].Start;
        var end = st.Tokens[i].End;
        var precision = -1;
        if (kind != TimeFunctionKind.CurrentDate && st.Is(i + 1, SqlTokenKind.OpenParen)
            && st.Is(i + 2, SqlTokenKind.Number) && st.Is(i + 3, SqlTokenKind.CloseParen)
            && int.TryParse(st.TextOf(i + 2), out var written))
        {
            precision = written;
            end = st.Tokens[i + 3].End;
            i += 3;
        }

        (times ??= []).Add(new TimeFunctionSpan(start, end - start, kind, precision));
        return i;
    }

    /// <summary>
    /// <c>name(</c> at <paramref name="i"/>: a call unless grammar says otherwise; now() and transaction_timestamp()
    /// are also time expressions.
    /// </summary>
    private static void Call(StatementTokens st, int i, ref List<string>? names, ref List<TimeFunctionSpan>? times)
    {
        var token = st.Tokens[i];
        if (token.Kind == SqlTokenKind.Word && (SqlKeywords.Traits(token.Keyword) & KeywordTraits.NotAFunction) != 0)
        {
            return;
        }

        var chain = i;
        while (st.Is(chain - 1, SqlTokenKind.Dot) && st.IsName(chain - 2))
        {
            chain -= 2;
        }

        var before = chain - 1;
        if (before >= 0)
        {
            var prev = st.Tokens[before];
            if (prev.Kind == SqlTokenKind.DoubleColon
                || (SqlKeywords.Traits(prev.Keyword) & KeywordTraits.NextNameNotCalled) != 0
                || (prev.Kind == SqlTokenKind.CloseParen && !ClosesDistinctOn(st, before)))
            {
                return;
            }
        }

        // A CTE's name with a column list, or its AS NOT MATERIALIZED (…) body: neither is a call.
        if (chain == i && (IsCteColumnList(st, i) || (st.Is(i, SqlKeyword.Materialized)
                                                      && st.Is(i - 1, SqlKeyword.Not) && st.Is(i - 2, SqlKeyword.As))))
        {
            return;
        }

        var name = st.NamePart(i);
        names ??= [];
        if (!names.Contains(name))
        {
            names.Add(name);
        }

        var time = name switch
        {
            "now" => TimeFunctionKind.Now,
            "transaction_timestamp" => TimeFunctionKind.TransactionTimestamp,
            _ => (TimeFunctionKind?)null,
        };
        if (time is { } kind && st.Is(i + 2, SqlTokenKind.CloseParen)
            && (chain == i || (chain == i - 2 && st.NamePart(chain) == "pg_catalog")))
        {
            var start = st.Tokens[chain].Start;
            (times ??= []).Add(new TimeFunctionSpan(start, st.Tokens[i + 2].End - start, kind, -1));
        }
    }

    /// <summary>
    /// <c>WITH x(a, b) AS [[NOT] MATERIALIZED] (SELECT …)</c>: the name of a common table expression with a column
    /// list, not a call. Taken for a call, an unknown function x made every such read a write. It follows WITH,
    /// RECURSIVE or a comma; a comma also precedes a function in FROM with a column definition list
    /// (<c>FROM t, f(x) AS (a int)</c>), so the list must hold names only and the body must begin a statement.
    /// </summary>
    private static bool IsCteColumnList(StatementTokens st, int i)
    {
        if (!(st.Is(i - 1, SqlKeyword.With) || st.Is(i - 1, SqlKeyword.Recursive) || st.Is(i - 1, SqlTokenKind.Comma)))
        {
            return false;
        }

        var close = st.MatchingParen(i + 1);
        if (close < 0)
        {
            return false;
        }

        for (var j = i + 2; j < close; j += 2)
        {
            if (!st.IsName(j) || !(j + 1 == close || st.Is(j + 1, SqlTokenKind.Comma)))
            {
                return false;
            }
        }

        var body = close + 1;
        if (!st.Is(body++, SqlKeyword.As))
        {
            return false;
        }

        body += st.Is(body, SqlKeyword.Not) ? 1 : 0;
        body += st.Is(body, SqlKeyword.Materialized) ? 1 : 0;
        return st.Is(body, SqlTokenKind.OpenParen) && (st.Is(body + 1, SqlTokenKind.OpenParen)
            || st.Keyword(body + 1) is SqlKeyword.Select or SqlKeyword.Values or SqlKeyword.With or SqlKeyword.Table
                or SqlKeyword.Insert or SqlKeyword.Update or SqlKeyword.Delete);
    }

    /// <summary>
    /// <c>… ) name(</c> is an alias with a column list (<c>FROM f() AS t(a, b)</c>, <c>FROM f() t(a)</c>), except
    /// after <c>DISTINCT ON (…)</c>, where a select-list expression begins.
    /// </summary>
    private static bool ClosesDistinctOn(StatementTokens st, int close)
    {
        var open = st.OpeningParen(close);
        return open >= 2 && st.Is(open - 1, SqlKeyword.On) && st.Is(open - 2, SqlKeyword.Distinct);
    }

    /// <summary>
    /// The special date/time inputs that read the transaction's time ('now', 'today', 'tomorrow', 'yesterday',
    /// any case, blanks around) when they become a date/time value: <c>'now'::timestamp[tz]/date/time[tz]</c>,
    /// <c>timestamp 'now'</c>, <c>timestamp with time zone 'now'</c>, <c>CAST('now' AS timestamptz)</c>. A bare
    /// <c>'now'</c> is left alone: it is only text unless its column's type makes it a time, which the text does
    /// not say.
    /// </summary>
    private static TimeFunctionKind? LiteralKind(StatementTokens st, int i)
    {
        var kind = SpecialTimeInput(StatementParser.StringContent(st.TextOf(i)));
        if (kind is null)
        {
            return null;
        }

        if (TypedLiteralStart(st, i) >= 0)
        {
            return kind;
        }

        if (st.Is(i + 1, SqlTokenKind.DoubleColon))
        {
            return IsTimeTypeName(st, i + 2) ? kind : null;
        }

        return (st.Is(i - 1, SqlTokenKind.OpenParen) && st.Is(i - 2, SqlKeyword.Cast) && st.Is(i + 1, SqlKeyword.As)
                   && IsTimeTypeName(st, i + 2))
            ? kind
            : null;
    }

    /// <summary>
    /// The (possibly schema-qualified) type name at <paramref name="at"/> is a date/time type: a built-in one, or
    /// information_schema's <c>time_stamp</c> domain over timestamptz (the regression suite's tab_core_types stored
    /// <c>'now'::information_schema.time_stamp</c> as each node read its clock).
    /// </summary>
    private static bool IsTimeTypeName(StatementTokens st, int at)
    {
        var type = st.Is(at + 1, SqlTokenKind.Dot) ? at + 2 : at;
        return IsTimeType(st.Keyword(type)) || st.IsWord(type, "time_stamp");
    }

    /// <summary>
    /// The kind of a string's content when it is one of the special date/time inputs that depend on the current
    /// time (PostgreSQL's "Special Date/Time Inputs"; epoch, infinity and allballs are constants); null otherwise.
    /// </summary>
    internal static TimeFunctionKind? SpecialTimeInput(ReadOnlySpan<char> content)
    {
        content = content.Trim();
        return content.Equals("now", StringComparison.OrdinalIgnoreCase) ? TimeFunctionKind.NowLiteral
            : content.Equals("today", StringComparison.OrdinalIgnoreCase) ? TimeFunctionKind.TodayLiteral
            : content.Equals("tomorrow", StringComparison.OrdinalIgnoreCase) ? TimeFunctionKind.TomorrowLiteral
            : content.Equals("yesterday", StringComparison.OrdinalIgnoreCase) ? TimeFunctionKind.YesterdayLiteral
            : null;
    }

    /// <summary>
    /// The literal's span; for a typed literal (<c>timestamp(3) with time zone 'now'</c>) it begins at the type
    /// name, because a typed literal must stay a plain string and so is replaced whole by a cast expression.
    /// </summary>
    private static TimeFunctionSpan TimeLiteral(StatementTokens st, int i, TimeFunctionKind kind)
    {
        var literal = st.Tokens[i];
        var typeStart = TypedLiteralStart(st, i);
        if (typeStart < 0)
        {
            return new TimeFunctionSpan(literal.Start, literal.Length, kind, -1);
        }

        var start = st.Tokens[typeStart].Start;
        return new TimeFunctionSpan(start, literal.End - start, kind, -1, literal.Start - start);
    }

    /// <summary>
    /// The token where the type of a typed literal ending at the string <paramref name="i"/> begins
    /// (<c>date 'now'</c>, <c>timestamp(3) 'now'</c>, <c>time without time zone 'now'</c>); -1 when the string is
    /// not one (<c>AT TIME ZONE 'now'</c> names a zone).
    /// </summary>
    private static int TypedLiteralStart(StatementTokens st, int i)
    {
        var end = i - 1;
        if (st.Is(end, SqlKeyword.Zone))
        {
            if (!st.Is(end - 1, SqlKeyword.Time) || !(st.Is(end - 2, SqlKeyword.With) || st.Is(end - 2, SqlKeyword.Without)))
            {
                return -1;
            }

            end -= 3;
        }

        if (st.Is(end, SqlTokenKind.CloseParen) && st.Is(end - 1, SqlTokenKind.Number)
            && st.Is(end - 2, SqlTokenKind.OpenParen))
        {
            end -= 3;
        }

        return end >= 0 && IsTimeType(st.Keyword(end)) && !st.Is(end - 1, SqlTokenKind.Dot)
                        && !st.Is(end - 1, SqlTokenKind.DoubleColon)
            ? end
            : -1;
    }

    private static bool IsTimeType(SqlKeyword keyword) => keyword is SqlKeyword.Timestamp or SqlKeyword.Timestamptz
        or SqlKeyword.Date or SqlKeyword.Time or SqlKeyword.Timetz;
}

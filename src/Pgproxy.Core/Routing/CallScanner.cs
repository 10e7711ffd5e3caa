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
                case SqlTokenKind.String or SqlTokenKind.EscapeString when IsNowLiteral(st, i):
                    (times ??= []).Add(new TimeFunctionSpan(token.Start, token.Length, TimeFunctionKind.NowLiteral, -1));
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
    /// <c>… ) name(</c> is an alias with a column list (<c>FROM f() AS t(a, b)</c>, <c>FROM f() t(a)</c>), except
    /// after <c>DISTINCT ON (…)</c>, where a select-list expression begins.
    /// </summary>
    private static bool ClosesDistinctOn(StatementTokens st, int close)
    {
        var open = st.OpeningParen(close);
        return open >= 2 && st.Is(open - 1, SqlKeyword.On) && st.Is(open - 2, SqlKeyword.Distinct);
    }

    /// <summary>
    /// 'now' as a date/time value: <c>'now'::timestamp[tz]/date/time[tz]</c>, <c>timestamp 'now'</c>,
    /// <c>timestamp with time zone 'now'</c>, <c>CAST('now' AS timestamptz)</c>.
    /// </summary>
    private static bool IsNowLiteral(StatementTokens st, int i)
    {
        var content = StatementParser.StringContent(st.TextOf(i)).Trim();
        if (!content.Equals("now", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        if (st.Is(i + 1, SqlTokenKind.DoubleColon))
        {
            var type = st.Is(i + 3, SqlTokenKind.Dot) ? i + 4 : i + 2;
            return IsTimeType(st.Keyword(type));
        }

        return IsTimeType(st.Keyword(i - 1)) || st.Is(i - 1, SqlKeyword.Zone)
            || (st.Is(i - 1, SqlTokenKind.OpenParen) && st.Is(i - 2, SqlKeyword.Cast) && st.Is(i + 1, SqlKeyword.As)
                && IsTimeType(st.Keyword(i + 2)));
    }

    private static bool IsTimeType(SqlKeyword keyword) => keyword is SqlKeyword.Timestamp or SqlKeyword.Timestamptz
        or SqlKeyword.Date or SqlKeyword.Time or SqlKeyword.Timetz;
}

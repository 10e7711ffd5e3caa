namespace Pgproxy.Core.Routing;

/// <summary>EXPLAIN, COPY and the prepared-statement commands, whose kind depends on a statement inside them.</summary>
internal static partial class StatementParser
{
    /// <summary>
    /// EXPLAIN [ANALYZE] [VERBOSE] stmt or EXPLAIN (option [value], …) stmt. Without ANALYZE nothing runs, so it
    /// is a read whatever stmt is; with ANALYZE it is as much a write as stmt.
    /// </summary>
    private static StatementInfo Explain(StatementTokens st, int i)
    {
        var j = i + 1;
        var analyze = false;
        if (st.Is(j, SqlTokenKind.OpenParen))
        {
            var close = st.MatchingParen(j);
            if (close < 0)
            {
                return StatementInfo.Write;
            }

            analyze = OptionIsOn(st, j, close, SqlKeyword.Analyze) || OptionIsOn(st, j, close, SqlKeyword.Analyse);
            j = close + 1;
        }
        else
        {
            while (st.Keyword(j) is SqlKeyword.Analyze or SqlKeyword.Analyse or SqlKeyword.Verbose)
            {
                analyze |= !st.Is(j, SqlKeyword.Verbose);
                j++;
            }
        }

        if (j >= st.Count)
        {
            return StatementInfo.Write;
        }

        var inner = Classify(st.Slice(j));
        if (!analyze)
        {
            return new StatementInfo
            {
                Kind = StatementKind.Read,
                EvaluatesNow = inner.EvaluatesNow,
                PreparedName = inner.PreparedName,
            };
        }

        inner.Kind = inner.Kind == StatementKind.Read ? StatementKind.Read : StatementKind.Write;
        inner.Flags = (inner.Flags & StatementFlags.Insert) | StatementFlags.ExplainAnalyze;
        inner.IsTransactionControl = false;
        inner.PreparedInnerKind = null;
        return inner;
    }

    /// <summary>
    /// True when the parenthesised option list (open, close) holds <paramref name="option"/> without a value or
    /// with a value other than false/off/0. An unknown value counts as on: it can only make the answer a write.
    /// </summary>
    private static bool OptionIsOn(StatementTokens st, int open, int close, SqlKeyword option)
    {
        for (var i = open + 1; i < close; i++)
        {
            if (!st.Is(i, option) || st.Kind(i - 1) is not (SqlTokenKind.OpenParen or SqlTokenKind.Comma))
            {
                continue;
            }

            var value = i + 1;
            if (st.Kind(value) is SqlTokenKind.Comma or SqlTokenKind.CloseParen)
            {
                return true;
            }

            var text = st.Kind(value) == SqlTokenKind.String ? StringContent(st.TextOf(value)) : st.TextOf(value);
            return !(text.Equals("false", StringComparison.OrdinalIgnoreCase)
                || text.Equals("off", StringComparison.OrdinalIgnoreCase) || text is "0");
        }

        return false;
    }

    /// <summary>
    /// COPY [BINARY] table [(cols)] FROM {STDIN | 'file' | PROGRAM 'cmd'} is a write; COPY {table [(cols)] |
    /// (query)} TO STDOUT is a read (unless the query writes); COPY … TO a file or program writes on the server.
    /// </summary>
    private static StatementInfo Copy(StatementTokens st, int i)
    {
        var j = st.Is(i + 1, SqlKeyword.Binary) ? i + 2 : i + 1;
        StatementInfo? query = null;
        string? table = null;
        if (st.Is(j, SqlTokenKind.OpenParen))
        {
            var close = st.MatchingParen(j);
            if (close < 0)
            {
                return StatementInfo.Write;
            }

            query = Classify(st.Slice(j + 1, close));
            j = close + 1;
        }
        else
        {
            var end = st.SkipQualifiedName(j);
            if (end == j)
            {
                return StatementInfo.Write;
            }

            table = st.NameText(j, end);
            j = end;
            if (st.Is(j, SqlTokenKind.OpenParen))
            {
                j = st.MatchingParen(j) + 1;
                if (j == 0)
                {
                    return StatementInfo.Write;
                }
            }
        }

        var info = new StatementInfo { Kind = StatementKind.Write, CopyTable = table, EvaluatesNow = true };
        if (st.Is(j, SqlKeyword.From) && table is not null && st.Is(j + 1, SqlKeyword.Stdin))
        {
            info.Flags = StatementFlags.CopyFromStdin;
        }
        else if (st.Is(j, SqlKeyword.To) && st.Is(j + 1, SqlKeyword.Stdout))
        {
            info.Flags = StatementFlags.CopyToStdout;
            info.Kind = query is { Kind: not StatementKind.Read } ? StatementKind.Write : StatementKind.Read;
        }

        return info;
    }

    /// <summary>
    /// PREPARE TRANSACTION 'gid' ends the transaction like COMMIT. PREPARE name [(types)] AS stmt is session
    /// state; the router remembers stmt's kind for EXECUTE. Its body is stored, so its time functions are not
    /// rewritten.
    /// </summary>
    private static StatementInfo Prepare(StatementTokens st, int i)
    {
        if (st.Is(i + 1, SqlKeyword.Transaction) && st.Is(i + 2, SqlTokenKind.String))
        {
            return TransactionControl(StatementKind.Commit);
        }

        if (!st.IsName(i + 1))
        {
            return StatementInfo.Write;
        }

        var j = i + 2;
        if (st.Is(j, SqlTokenKind.OpenParen))
        {
            j = st.MatchingParen(j) + 1;
        }

        if (j == 0 || !st.Is(j, SqlKeyword.As) || j + 1 >= st.Count)
        {
            return StatementInfo.Write;
        }

        var inner = Classify(st.Slice(j + 1));
        return new StatementInfo
        {
            Kind = StatementKind.SessionState,
            PreparedName = st.NamePart(i + 1),
            PreparedInnerKind = inner.Kind,
            InsertTable = inner.InsertTable,
        };
    }

    /// <summary>EXECUTE name [(params)]: the parameters are evaluated now.</summary>
    private static StatementInfo Execute(StatementTokens st, int i) => new()
    {
        Kind = StatementKind.SessionState,
        PreparedName = st.IsName(i + 1) ? st.NamePart(i + 1) : null,
        EvaluatesNow = true,
    };

    /// <summary>DEALLOCATE [PREPARE] {name | ALL}; ALL is named "*".</summary>
    private static StatementInfo Deallocate(StatementTokens st, int i)
    {
        var j = st.Is(i + 1, SqlKeyword.Prepare) ? i + 2 : i + 1;
        var name = st.Is(j, SqlKeyword.All) ? "*" : st.IsName(j) ? st.NamePart(j) : null;
        return new StatementInfo { Kind = StatementKind.SessionState, PreparedName = name };
    }
}

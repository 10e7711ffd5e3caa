namespace Pgproxy.Core.Routing;

/// <summary>Transaction control and SET: strict parsing, because the router answers a plain BEGIN itself.</summary>
internal static partial class StatementParser
{
    /// <summary>
    /// BEGIN [WORK | TRANSACTION] [modes] or START TRANSACTION [modes]; anything unexpected is a write.
    /// </summary>
    private static StatementInfo Begin(StatementTokens st, int i)
    {
        if (st.Keyword(i) is SqlKeyword.Work or SqlKeyword.Transaction && st.Keyword(i - 1) == SqlKeyword.Begin)
        {
            i++;
        }

        if (!TransactionModes(st, i, out var strict, out var readOnly, out var namesLevel))
        {
            return StatementInfo.Write;
        }

        var info = TransactionControl(StatementKind.Begin);
        info.Flags = (strict ? StatementFlags.StrictIsolation : 0)
            | (readOnly ? StatementFlags.ReadOnlyTransactionStart : 0)
            | (namesLevel ? StatementFlags.NamesIsolationLevel : 0);
        return info;
    }

    /// <summary>
    /// Reads a transaction_mode_list to the end of the tokens: ISOLATION LEVEL {SERIALIZABLE | REPEATABLE READ |
    /// READ COMMITTED | READ UNCOMMITTED}, READ WRITE, READ ONLY, [NOT] DEFERRABLE, with optional commas.
    /// </summary>
    private static bool TransactionModes(StatementTokens st, int i, out bool strict, out bool readOnly,
        out bool namesLevel)
    {
        strict = false;
        readOnly = false;
        namesLevel = false;
        while (i < st.Count)
        {
            switch (st.Keyword(i))
            {
                case SqlKeyword.Isolation when st.Is(i + 1, SqlKeyword.Level):
                    namesLevel = true;
                    switch (st.Keyword(i + 2))
                    {
                        case SqlKeyword.Serializable:
                            strict = true;
                            i += 3;
                            break;
                        case SqlKeyword.Repeatable when st.Is(i + 3, SqlKeyword.Read):
                            strict = true;
                            i += 4;
                            break;
                        case SqlKeyword.Read when st.Keyword(i + 3) is SqlKeyword.Committed or SqlKeyword.Uncommitted:
                            i += 4;
                            break;
                        default:
                            return false;
                    }

                    break;
                case SqlKeyword.Read when st.Keyword(i + 1) is SqlKeyword.Only or SqlKeyword.Write:
                    readOnly |= st.Is(i + 1, SqlKeyword.Only);
                    i += 2;
                    break;
                case SqlKeyword.Deferrable:
                    i++;
                    break;
                case SqlKeyword.Not when st.Is(i + 1, SqlKeyword.Deferrable):
                    i += 2;
                    break;
                case SqlKeyword.None when st.Is(i, SqlTokenKind.Comma) && i > 0:
                    i++;
                    break;
                default:
                    return false;
            }
        }

        return true;
    }

    /// <summary>
    /// COMMIT/END [WORK | TRANSACTION] [AND [NO] CHAIN]; COMMIT PREPARED 'gid' cannot run in a transaction block.
    /// </summary>
    private static StatementInfo Commit(StatementTokens st, int i)
    {
        if (st.Is(i, SqlKeyword.Commit) && st.Is(i + 1, SqlKeyword.Prepared))
        {
            return StatementInfo.Of(StatementKind.WriteOutsideTransaction);
        }

        return EndsTransaction(st, i + 1) ? TransactionControl(StatementKind.Commit) : StatementInfo.Write;
    }

    /// <summary>
    /// ROLLBACK/ABORT [WORK | TRANSACTION] [AND [NO] CHAIN]; ROLLBACK [WORK | TRANSACTION] TO [SAVEPOINT] name is
    /// session state; ROLLBACK PREPARED 'gid' cannot run in a transaction block.
    /// </summary>
    private static StatementInfo Rollback(StatementTokens st, int i)
    {
        var rollback = st.Is(i, SqlKeyword.Rollback);
        if (rollback && st.Is(i + 1, SqlKeyword.Prepared))
        {
            return StatementInfo.Of(StatementKind.WriteOutsideTransaction);
        }

        var j = st.Keyword(i + 1) is SqlKeyword.Work or SqlKeyword.Transaction ? i + 2 : i + 1;
        if (rollback && st.Is(j, SqlKeyword.To))
        {
            return TransactionControl(StatementKind.SessionState);
        }

        return EndsTransaction(st, i + 1) ? TransactionControl(StatementKind.Rollback) : StatementInfo.Write;
    }

    /// <summary>[WORK | TRANSACTION] [AND [NO] CHAIN] and nothing else.</summary>
    private static bool EndsTransaction(StatementTokens st, int i)
    {
        if (st.Keyword(i) is SqlKeyword.Work or SqlKeyword.Transaction)
        {
            i++;
        }

        if (st.Is(i, SqlKeyword.And))
        {
            i += st.Is(i + 1, SqlKeyword.No) ? 2 : 1;
            if (!st.Is(i, SqlKeyword.Chain))
            {
                return false;
            }

            i++;
        }

        return i == st.Count;
    }

    /// <summary>
    /// Every SET is session state. It makes the session strict (reads on main) when it sets SERIALIZABLE or
    /// REPEATABLE READ through SET TRANSACTION, SET SESSION CHARACTERISTICS AS TRANSACTION, SET [SESSION]
    /// default_transaction_isolation or SET transaction_isolation.
    /// </summary>
    private static StatementInfo Set(StatementTokens st, int i)
    {
        var info = StatementInfo.Of(StatementKind.SessionState);
        var j = i + 1;
        var local = st.Is(j, SqlKeyword.Local);
        if (local || st.Is(j, SqlKeyword.Session))
        {
            j++;
        }

        var strict = false;
        var namesLevel = false;
        switch (st.Keyword(j))
        {
            case SqlKeyword.Characteristics when st.Is(j + 1, SqlKeyword.As) && st.Is(j + 2, SqlKeyword.Transaction):
                TransactionModes(st, j + 3, out strict, out _, out _);
                break;
            case SqlKeyword.Transaction:
                TransactionModes(st, j + 1, out strict, out _, out namesLevel);
                break;
            case SqlKeyword.DefaultTransactionIsolation when !local:
            case SqlKeyword.TransactionIsolation:
                strict = IsStrictIsolationValue(st, j + 1);
                break;
        }

        info.Flags = (strict ? StatementFlags.StrictIsolation : 0)
            | (namesLevel ? StatementFlags.NamesIsolationLevel : 0);
        return info;
    }

    /// <summary>TO/= followed by serializable or 'repeatable read' (as a word or a string).</summary>
    private static bool IsStrictIsolationValue(StatementTokens st, int i)
    {
        if (!st.Is(i, SqlKeyword.To) && !(st.Is(i, SqlTokenKind.Operator) && st.TextOf(i) is "="))
        {
            return false;
        }

        var v = i + 1;
        if (st.Is(v, SqlKeyword.Serializable))
        {
            return true;
        }

        if (!st.Is(v, SqlTokenKind.String))
        {
            return false;
        }

        var value = StringContent(st.TextOf(v)).Trim();
        return value.Equals("serializable", StringComparison.OrdinalIgnoreCase)
            || value.Equals("repeatable read", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>The characters between the quotes of a plain string token (doubled quotes left as they are).</summary>
    internal static ReadOnlySpan<char> StringContent(ReadOnlySpan<char> token)
    {
        var open = token.IndexOf('\'');
        return open < 0 || token.Length - open < 2 ? [] : token[(open + 1)..^1];
    }
}

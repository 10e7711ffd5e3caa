namespace Pgproxy.Core.Routing;

/// <summary>
/// DDL: a plain write, except the commands PostgreSQL refuses inside a transaction block
/// (<c>PreventInTransactionBlock</c>), which must run without the router's internal transaction.
/// </summary>
internal static partial class StatementParser
{
    /// <summary>
    /// CREATE (but not of a temporary object, which lives in one session), ALTER, DROP, COMMENT, GRANT, REVOKE,
    /// SECURITY LABEL, IMPORT FOREIGN SCHEMA: statements that change what <c>pg_dump --schema-only</c> would
    /// dump. DROP of a temporary table counts too: the name alone does not say what it drops.
    /// </summary>
    internal static bool ChangesSchema(StatementTokens st)
    {
        switch (st.Keyword(0))
        {
            case SqlKeyword.Create:
                var j = st.Is(1, SqlKeyword.Or) && st.Is(2, SqlKeyword.Replace) ? 3 : 1;
                if (st.Is(j, SqlKeyword.Local) || st.IsWord(j, "global"))
                {
                    j++;
                }

                return !st.IsWord(j, "temp") && !st.IsWord(j, "temporary");
            case SqlKeyword.Alter or SqlKeyword.Drop or SqlKeyword.Comment or SqlKeyword.Grant or SqlKeyword.Revoke:
                return true;
            default:
                return (st.IsWord(0, "security") && st.IsWord(1, "label"))
                       || (st.IsWord(0, "import") && st.IsWord(1, "foreign"));
        }
    }

    /// <summary>
    /// CREATE DATABASE/TABLESPACE/SUBSCRIPTION and CREATE [UNIQUE] INDEX CONCURRENTLY run outside a transaction.
    /// CREATE TABLE … AS query evaluates its query now; every other CREATE stores its expressions.
    /// </summary>
    private static StatementInfo Create(StatementTokens st, int i)
    {
        var j = st.Is(i + 1, SqlKeyword.Or) && st.Is(i + 2, SqlKeyword.Replace) ? i + 3 : i + 1;
        switch (st.Keyword(j))
        {
            case SqlKeyword.Database or SqlKeyword.Tablespace or SqlKeyword.Subscription:
                return StatementInfo.Of(StatementKind.WriteOutsideTransaction);
            case SqlKeyword.Unique or SqlKeyword.Index:
                // Index expressions must be immutable, and "ON t (" names a table: no calls worth listing.
                var index = st.Is(j, SqlKeyword.Unique) ? j + 1 : j;
                if (st.Is(index, SqlKeyword.Index))
                {
                    var kind = st.Is(index + 1, SqlKeyword.Concurrently)
                        ? StatementKind.WriteOutsideTransaction
                        : StatementKind.Write;
                    return new StatementInfo { Kind = kind, NamesWithoutCalling = true };
                }

                break;
        }

        // A materialized view is filled (REFRESH evaluates it again); every other CREATE but … AS only stores.
        var evaluates = IsCreateTableAs(st, j);
        return new StatementInfo
        {
            Kind = StatementKind.Write,
            EvaluatesNow = evaluates,
            StoresCalls = !evaluates && !st.Is(j, SqlKeyword.Materialized),
        };
    }

    /// <summary>CREATE [GLOBAL|LOCAL] [TEMP|TEMPORARY|UNLOGGED] TABLE … AS query (AS outside parentheses).</summary>
    private static bool IsCreateTableAs(StatementTokens st, int j)
    {
        var table = j;
        while (table < j + 3 && st.Is(table, SqlTokenKind.Word) && !st.Is(table, SqlKeyword.Table))
        {
            table++;
        }

        if (!st.Is(table, SqlKeyword.Table))
        {
            return false;
        }

        for (var k = table + 1; k < st.Count; k++)
        {
            if (st.Is(k, SqlTokenKind.OpenParen))
            {
                k = st.MatchingParen(k);
                if (k < 0)
                {
                    return false;
                }
            }
            else if (st.Is(k, SqlKeyword.As))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>DROP DATABASE/TABLESPACE/SUBSCRIPTION and DROP INDEX CONCURRENTLY run outside a transaction.</summary>
    private static StatementInfo Drop(StatementTokens st, int i) => st.Keyword(i + 1) switch
    {
        SqlKeyword.Database or SqlKeyword.Tablespace or SqlKeyword.Subscription =>
            StatementInfo.Of(StatementKind.WriteOutsideTransaction),
        SqlKeyword.Index when st.Is(i + 2, SqlKeyword.Concurrently) =>
            StatementInfo.Of(StatementKind.WriteOutsideTransaction),
        _ => StatementInfo.Write,
    };

    /// <summary>
    /// ALTER SYSTEM, ALTER SUBSCRIPTION (its refreshing forms cannot run in a transaction; the rest lose
    /// nothing by running outside one), ALTER DATABASE name SET TABLESPACE and ALTER TABLE … DETACH PARTITION …
    /// CONCURRENTLY run outside a transaction.
    /// </summary>
    private static StatementInfo Alter(StatementTokens st, int i)
    {
        var outside = st.Keyword(i + 1) switch
        {
            SqlKeyword.System or SqlKeyword.Subscription => true,
            SqlKeyword.Database => st.Is(i + 3, SqlKeyword.Set) && st.Is(i + 4, SqlKeyword.Tablespace),
            SqlKeyword.Table => DetachesConcurrently(st, i + 2),
            _ => false,
        };
        var info = StatementInfo.Of(outside ? StatementKind.WriteOutsideTransaction : StatementKind.Write);
        // A publication's row filter (ADD TABLE t WHERE …) is stored, and PostgreSQL rejects a volatile one itself:
        // refusing it would hide that error (issue 16 item 15).
        info.StoresCalls = st.IsWord(i + 1, "publication") || OnlyStoresCalls(st, i + 1);
        AlterTableExpressions.Find(st, i, ref info.EvaluatedRanges, ref info.RestoredDefaults);
        return info;
    }

    /// <summary>
    /// ALTER without ADD (a column's DEFAULT fills existing rows, a CHECK is checked against them), USING (a new
    /// type's conversion) or EXPRESSION (a generated column recomputed): what expressions it has, such as
    /// SET DEFAULT's, are only stored.
    /// </summary>
    private static bool OnlyStoresCalls(StatementTokens st, int from)
    {
        for (var k = from; k < st.Count; k++)
        {
            if (st.Is(k, SqlKeyword.Using) || st.IsWord(k, "add") || st.IsWord(k, "expression"))
            {
                return false;
            }
        }

        return true;
    }

    private static bool DetachesConcurrently(StatementTokens st, int from)
    {
        var detach = false;
        for (var k = from; k < st.Count; k++)
        {
            detach |= st.Is(k, SqlKeyword.Detach);
            if (detach && st.Is(k, SqlKeyword.Concurrently))
            {
                return true;
            }
        }

        return false;
    }
}

using System.Collections.Frozen;

namespace Pgproxy.Core.Routing;

/// <summary>
/// Writes whose result no statement order can make equal on every node: rows chosen by timing, and rows copied
/// from what a node knows only of itself.
/// </summary>
internal static partial class StatementParser
{
    /// <summary>
    /// Columns of <c>pg_class</c> and <c>pg_database</c> that are each node's own: file numbers drawn from its OID
    /// counter, sizes and estimates its VACUUM and ANALYZE found, and transaction ids of its own numbering.
    /// </summary>
    private static readonly FrozenSet<string> NodeStateColumns = FrozenSet.ToFrozenSet(
    [
        "relfilenode", "relpages", "reltuples", "relallvisible", "relfrozenxid", "relminmxid",
        "datfrozenxid", "datminmxid",
    ], StringComparer.OrdinalIgnoreCase);

    private static readonly FrozenSet<string>.AlternateLookup<ReadOnlySpan<char>> StateColumnLookup =
        NodeStateColumns.GetAlternateLookup<ReadOnlySpan<char>>();

    /// <summary>The hazards of a write that the classifier flags (<see cref="StatementFlags.TimingDependentWrite"/>,
    /// <see cref="StatementFlags.StoresNodeState"/>).</summary>
    internal static StatementFlags WriteHazards(StatementTokens st, StatementInfo info)
    {
        if (info.Kind != StatementKind.Write)
        {
            return StatementFlags.None;
        }

        var flags = StatementFlags.None;
        if (ChoosesRowsByTiming(st) && !st.Is(0, SqlKeyword.Lock))
        {
            flags |= StatementFlags.TimingDependentWrite; // UPDATE … WHERE id IN (SELECT … SKIP LOCKED)
        }

        if (!info.StoresCalls && StoresNodeState(st))
        {
            flags |= StatementFlags.StoresNodeState;
        }

        if (ReadsOtherRows(st))
        {
            flags |= StatementFlags.ReadsOtherRows;
        }

        return flags;
    }

    /// <summary>
    /// A DML write that reads rows besides those it changes (<see cref="StatementFlags.ReadsOtherRows"/>): MERGE, a
    /// WITH, a SELECT anywhere after the first word, FROM at the top level of an UPDATE, USING at the top level of a
    /// DELETE. <c>IS DISTINCT FROM</c> at the top level of an UPDATE counts too, which costs only a shared snapshot.
    /// </summary>
    internal static bool ReadsOtherRows(StatementTokens st)
    {
        var first = st.Keyword(0);
        if (first is SqlKeyword.Merge or SqlKeyword.With)
        {
            return true;
        }

        if (first is not (SqlKeyword.Insert or SqlKeyword.Update or SqlKeyword.Delete))
        {
            return false;
        }

        var depth = 0;
        for (var i = 1; i < st.Count; i++)
        {
            if (st.Is(i, SqlTokenKind.OpenParen))
            {
                depth++;
            }
            else if (st.Is(i, SqlTokenKind.CloseParen))
            {
                depth--;
            }
            else if (st.Is(i, SqlKeyword.Select)
                     || (depth == 0 && first == SqlKeyword.Update && st.Is(i, SqlKeyword.From))
                     || (depth == 0 && first == SqlKeyword.Delete && st.Is(i, SqlKeyword.Using)))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// A statement that writes rows (INSERT, UPDATE, DELETE, MERGE, SELECT … INTO, a data-modifying WITH, CREATE
    /// TABLE or MATERIALIZED VIEW … AS) and reads a statistics view or table (<c>pg_stat*</c>, <c>pg_locks</c>), or
    /// <c>pg_class</c> / <c>pg_database</c> with <c>*</c> or one of their per-node columns: each node would store its
    /// own values (<c>CREATE TABLE … AS SELECT * FROM pg_class</c>, the regression suite's create_table). A
    /// temporary table is left alone: it lives in one session, whose reads see the values of the node that stored
    /// them. Maintenance commands that merely name a catalog (VACUUM pg_class) store nothing.
    /// </summary>
    internal static bool StoresNodeState(StatementTokens st)
    {
        if (!StoresRows(st))
        {
            return false;
        }

        bool catalog = false, stateColumns = false;
        for (var i = 0; i < st.Count; i++)
        {
            if (!st.Is(i, SqlTokenKind.Word))
            {
                stateColumns |= IsSelectStar(st, i);
                continue;
            }

            var word = st.TextOf(i);
            if ((word.StartsWith("pg_stat", StringComparison.OrdinalIgnoreCase) && !st.Is(i + 1, SqlTokenKind.OpenParen))
                || word.Equals("pg_locks", StringComparison.OrdinalIgnoreCase))
            {
                return true; // pg_stat_user_tables, pg_statio_*, pg_statistic, pg_stats (not a pg_stat_*() call)
            }

            catalog |= word.Equals("pg_class", StringComparison.OrdinalIgnoreCase)
                       || word.Equals("pg_database", StringComparison.OrdinalIgnoreCase);
            stateColumns |= StateColumnLookup.Contains(word);
        }

        return catalog && stateColumns;
    }

    /// <summary>The statement's kind stores rows, and not into a table created temporary.</summary>
    private static bool StoresRows(StatementTokens st)
    {
        var i = 0;
        while (st.Is(i, SqlTokenKind.OpenParen))
        {
            i++;
        }

        switch (st.Keyword(i))
        {
            case SqlKeyword.Select or SqlKeyword.With:
                return true;
            case SqlKeyword.Update:
                return !NamesCatalog(st, i + 1);
            case SqlKeyword.Insert or SqlKeyword.Delete or SqlKeyword.Merge:
                return !NamesCatalog(st, i + 2); // INSERT INTO, DELETE FROM, MERGE INTO
            case SqlKeyword.Create:
                var j = i + 1;
                if (st.Is(j, SqlKeyword.Local) || st.IsWord(j, "global"))
                {
                    j++;
                }

                return !st.IsWord(j, "temp") && !st.IsWord(j, "temporary")
                       && (st.Is(j, SqlKeyword.Table) || st.Is(j, SqlKeyword.Materialized) || st.IsWord(j, "unlogged"));
            default:
                return false;
        }
    }

    /// <summary>
    /// The statement's target at <paramref name="i"/> is a system catalog (UPDATE pg_class SET reltuples = 10, as
    /// the regression suite does to steer the planner): each node changes its own row, which stays its own.
    /// </summary>
    private static bool NamesCatalog(StatementTokens st, int i)
    {
        if (st.Is(i, SqlKeyword.Only))
        {
            i++;
        }

        return st.IsWord(i, "pg_catalog")
               || (st.Is(i, SqlTokenKind.Word) && st.TextOf(i).StartsWith("pg_", StringComparison.OrdinalIgnoreCase)
                                                && !st.Is(i + 1, SqlTokenKind.Dot));
    }

    /// <summary>A <c>*</c> that selects every column (after SELECT, DISTINCT, a comma or <c>alias.</c>).</summary>
    private static bool IsSelectStar(StatementTokens st, int i) =>
        st.Is(i, SqlTokenKind.Operator) && st.TextOf(i) is "*"
        && (st.Is(i - 1, SqlKeyword.Select) || st.Is(i - 1, SqlKeyword.Distinct) || st.Is(i - 1, SqlTokenKind.Comma)
            || st.Is(i - 1, SqlTokenKind.Dot));
}

namespace Pgproxy.Core.Routing;

/// <summary>
/// Classifies one statement from its tokens. This is not a parser of the grammar: it reads the few words that
/// decide where a statement may run, and answers <see cref="StatementKind.Write"/> whenever the shape is not one
/// it knows, because a write sent to one node is lost while a read sent to all merely costs time.
/// </summary>
internal static partial class StatementParser
{
    public static StatementInfo Classify(StatementTokens st)
    {
        // "(SELECT 1) UNION (SELECT 2)": only queries may start with a parenthesis.
        var i = 0;
        while (st.Is(i, SqlTokenKind.OpenParen))
        {
            i++;
        }

        var first = st.Keyword(i);
        if (i > 0 && first is not (SqlKeyword.Select or SqlKeyword.Values or SqlKeyword.Table or SqlKeyword.With))
        {
            return StatementInfo.Write;
        }

        return first switch
        {
            SqlKeyword.Select or SqlKeyword.Values or SqlKeyword.Table => Query(st),
            SqlKeyword.With => With(st, i),
            SqlKeyword.Insert => Insert(st, i),
            SqlKeyword.Update or SqlKeyword.Delete or SqlKeyword.Merge or SqlKeyword.Call =>
                StatementInfo.Of(StatementKind.Write, evaluatesNow: true),
            SqlKeyword.Show => StatementInfo.Of(StatementKind.Read),
            SqlKeyword.Explain => Explain(st, i),
            SqlKeyword.Copy => Copy(st, i),
            SqlKeyword.Begin => Begin(st, i + 1),
            SqlKeyword.Start => st.Is(i + 1, SqlKeyword.Transaction) ? Begin(st, i + 2) : StatementInfo.Write,
            SqlKeyword.Commit or SqlKeyword.End => Commit(st, i),
            SqlKeyword.Rollback or SqlKeyword.Abort => Rollback(st, i),
            SqlKeyword.Savepoint or SqlKeyword.Release => TransactionControl(StatementKind.SessionState),
            SqlKeyword.Set => Set(st, i),
            SqlKeyword.Reset or SqlKeyword.Listen or SqlKeyword.Unlisten or SqlKeyword.Load or SqlKeyword.Fetch
                or SqlKeyword.Move or SqlKeyword.Close => StatementInfo.Of(StatementKind.SessionState),
            SqlKeyword.Declare => StatementInfo.Of(StatementKind.SessionState, evaluatesNow: true),
            SqlKeyword.Discard => StatementInfo.Of(
                st.Is(i + 1, SqlKeyword.All) ? StatementKind.WriteOutsideTransaction : StatementKind.SessionState),
            SqlKeyword.Prepare => Prepare(st, i),
            SqlKeyword.Execute => Execute(st, i),
            SqlKeyword.Deallocate => Deallocate(st, i),
            SqlKeyword.Vacuum or SqlKeyword.Checkpoint => StatementInfo.Of(StatementKind.WriteOutsideTransaction),
            SqlKeyword.Create => Create(st, i),
            SqlKeyword.Drop => Drop(st, i) with { NamesWithoutCalling = true },
            SqlKeyword.Grant or SqlKeyword.Revoke or SqlKeyword.Comment =>
                StatementInfo.Write with { NamesWithoutCalling = true },
            SqlKeyword.Alter => Alter(st, i),
            // PostgreSQL refuses REINDEX and CLUSTER of a partitioned table (and CLUSTER of every table, REINDEX
            // CONCURRENTLY, SCHEMA, DATABASE, SYSTEM) in a transaction block, which the text cannot tell from a plain
            // table's: none of them changes a row, so they never need the internal transaction. Inside the client's
            // own transaction they run in it, like any write.
            SqlKeyword.Reindex or SqlKeyword.Cluster => StatementInfo.Of(StatementKind.WriteOutsideTransaction),
            _ => StatementInfo.Write,
        };
    }

    /// <summary>
    /// SELECT, VALUES, TABLE (and the main part of WITH): a read unless something in it writes or locks. One that
    /// only locks with SKIP LOCKED or NOWAIT is a read for main alone (<see cref="StatementFlags.LocksOnMainOnly"/>).
    /// </summary>
    private static StatementInfo Query(StatementTokens st)
    {
        var (modifies, locks) = QueryEffects(st);
        if (!modifies && !locks)
        {
            var read = StatementInfo.Of(StatementKind.Read, evaluatesNow: true);
            if (NamesMainOnlyView(st))
            {
                read.Flags = StatementFlags.ReadsMainOnlyView;
            }

            return read;
        }

        if (!modifies && ChoosesRowsByTiming(st))
        {
            var info = StatementInfo.Of(StatementKind.Read, evaluatesNow: true);
            info.Flags = StatementFlags.LocksOnMainOnly;
            return info;
        }

        return StatementInfo.Of(StatementKind.Write, evaluatesNow: true); // the classifier flags timing-chosen rows
    }

    /// <summary>The statement names a view of what only main holds (see StatementFlags.ReadsMainOnlyView).</summary>
    private static bool NamesMainOnlyView(StatementTokens st)
    {
        for (var i = 0; i < st.Count; i++)
        {
            if (st.IsWord(i, "pg_prepared_xacts") || st.IsWord(i, "pg_replication_slots")
                || st.IsWord(i, "pg_stat_replication") || st.IsWord(i, "pg_stat_replication_slots"))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>A row-locking clause with SKIP LOCKED or NOWAIT anywhere in the statement.</summary>
    internal static bool ChoosesRowsByTiming(StatementTokens st)
    {
        for (var i = 0; i < st.Count; i++)
        {
            if ((st.IsWord(i, "skip") && st.IsWord(i + 1, "locked")) || st.IsWord(i, "nowait"))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// What a query-shaped statement does beyond reading: <c>Modifies</c> for SELECT … INTO or
    /// INSERT/UPDATE/DELETE/MERGE anywhere (a data-modifying CTE), <c>Locks</c> for FOR UPDATE / FOR NO KEY UPDATE /
    /// FOR SHARE / FOR KEY SHARE at any depth. Deliberately coarse: an unquoted column named "delete" makes a read
    /// a write, never the reverse.
    /// </summary>
    private static (bool Modifies, bool Locks) QueryEffects(StatementTokens st)
    {
        var tokens = st.Tokens;
        bool modifies = false, locks = false;
        for (var i = 0; i < tokens.Length; i++)
        {
            switch (tokens[i].Keyword)
            {
                case SqlKeyword.For when st.Keyword(i + 1) is SqlKeyword.Share or SqlKeyword.Key or SqlKeyword.No
                    or SqlKeyword.Update:
                    locks = true;
                    break;
                case SqlKeyword.Update when st.Is(i - 1, SqlKeyword.For)
                                            || (st.Is(i - 1, SqlKeyword.Key) && st.Is(i - 2, SqlKeyword.No)
                                                && st.Is(i - 3, SqlKeyword.For)):
                    break; // FOR [NO KEY] UPDATE: the lock, counted above
                case SqlKeyword.Into or SqlKeyword.Insert or SqlKeyword.Update or SqlKeyword.Delete or SqlKeyword.Merge
                    when i == 0 || tokens[i - 1].Kind != SqlTokenKind.Dot:
                    modifies = true;
                    break;
            }
        }

        return (modifies, locks);
    }

    /// <summary>
    /// WITH [RECURSIVE] name [(cols)] AS [[NOT] MATERIALIZED] (body) [, …] main: the main statement is the
    /// first of SELECT/INSERT/UPDATE/DELETE/MERGE/VALUES/TABLE outside the CTE bodies.
    /// </summary>
    private static StatementInfo With(StatementTokens st, int with)
    {
        for (var i = with + 1; i < st.Count; i++)
        {
            switch (st.Kind(i))
            {
                case SqlTokenKind.OpenParen:
                    i = st.MatchingParen(i);
                    if (i < 0)
                    {
                        return StatementInfo.Write;
                    }

                    continue;
                case SqlTokenKind.Word:
                    switch (st.Keyword(i))
                    {
                        case SqlKeyword.Insert:
                            return Insert(st, i);
                        case SqlKeyword.Update or SqlKeyword.Delete or SqlKeyword.Merge:
                            return StatementInfo.Of(StatementKind.Write, evaluatesNow: true);
                        case SqlKeyword.Select or SqlKeyword.Values or SqlKeyword.Table:
                            return Query(st);
                    }

                    break;
            }
        }

        return Query(st);
    }

    /// <summary>INSERT INTO name …: a write whose target the router needs for insert_lock.</summary>
    private static StatementInfo Insert(StatementTokens st, int insert)
    {
        var info = StatementInfo.Of(StatementKind.Write, evaluatesNow: true);
        info.Flags = StatementFlags.Insert;
        if (st.Is(insert + 1, SqlKeyword.Into))
        {
            var end = st.SkipQualifiedName(insert + 2);
            if (end > insert + 2)
            {
                info.InsertTable = st.NameText(insert + 2, end);
            }
        }

        return info;
    }

    private static StatementInfo TransactionControl(StatementKind kind) =>
        new() { Kind = kind, IsTransactionControl = true };
}

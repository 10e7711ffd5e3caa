namespace Pgproxy.Core.Routing;

/// <summary>
/// Recognises <see cref="SqlKeyword"/>s case-insensitively without allocating. Every word of every query goes
/// through <see cref="Find"/>, so it is a small open-addressing table with a cheap hash (length and three
/// characters, folded to lower case) rather than a general dictionary.
/// </summary>
internal static class SqlKeywords
{
    /// <summary>Longest word in the table; longer words are never looked up.</summary>
    private const int MaxLength = 29;

    private static readonly (string Text, SqlKeyword Keyword, KeywordTraits Traits)[] Table =
    [
        ("abort", SqlKeyword.Abort, KeywordTraits.None),
        ("aggregate", SqlKeyword.Aggregate, KeywordTraits.NextNameNotCalled),
        ("all", SqlKeyword.All, KeywordTraits.NotAFunction),
        ("alter", SqlKeyword.Alter, KeywordTraits.None),
        ("analyse", SqlKeyword.Analyse, KeywordTraits.NotAFunction),
        ("analyze", SqlKeyword.Analyze, KeywordTraits.NotAFunction),
        ("and", SqlKeyword.And, KeywordTraits.NotAFunction),
        ("any", SqlKeyword.Any, KeywordTraits.NotAFunction),
        ("array", SqlKeyword.Array, KeywordTraits.NotAFunction),
        ("as", SqlKeyword.As, KeywordTraits.NotAFunction | KeywordTraits.NextNameNotCalled),
        ("asc", SqlKeyword.Asc, KeywordTraits.None),
        ("atomic", SqlKeyword.Atomic, KeywordTraits.None),
        ("begin", SqlKeyword.Begin, KeywordTraits.None),
        ("between", SqlKeyword.Between, KeywordTraits.NotAFunction),
        ("bigint", SqlKeyword.Bigint, KeywordTraits.NotAFunction),
        ("binary", SqlKeyword.Binary, KeywordTraits.None),
        ("bit", SqlKeyword.Bit, KeywordTraits.NotAFunction),
        ("boolean", SqlKeyword.Boolean, KeywordTraits.NotAFunction),
        ("both", SqlKeyword.Both, KeywordTraits.NotAFunction),
        ("by", SqlKeyword.By, KeywordTraits.NotAFunction),
        ("call", SqlKeyword.Call, KeywordTraits.None),
        ("case", SqlKeyword.Case, KeywordTraits.NotAFunction),
        ("cast", SqlKeyword.Cast, KeywordTraits.NotAFunction),
        ("chain", SqlKeyword.Chain, KeywordTraits.None),
        ("char", SqlKeyword.Char, KeywordTraits.NotAFunction),
        ("character", SqlKeyword.Character, KeywordTraits.NotAFunction),
        ("characteristics", SqlKeyword.Characteristics, KeywordTraits.None),
        ("check", SqlKeyword.Check, KeywordTraits.NotAFunction),
        ("checkpoint", SqlKeyword.Checkpoint, KeywordTraits.None),
        ("close", SqlKeyword.Close, KeywordTraits.None),
        ("cluster", SqlKeyword.Cluster, KeywordTraits.NotAFunction),
        ("coalesce", SqlKeyword.Coalesce, KeywordTraits.NotAFunction),
        ("collate", SqlKeyword.Collate, KeywordTraits.NotAFunction),
        ("comment", SqlKeyword.Comment, KeywordTraits.None),
        ("commit", SqlKeyword.Commit, KeywordTraits.None),
        ("committed", SqlKeyword.Committed, KeywordTraits.None),
        ("concurrently", SqlKeyword.Concurrently, KeywordTraits.None),
        ("conflict", SqlKeyword.Conflict, KeywordTraits.NotAFunction),
        ("constraint", SqlKeyword.Constraint, KeywordTraits.NotAFunction),
        ("copy", SqlKeyword.Copy, KeywordTraits.NotAFunction | KeywordTraits.NextNameNotCalled),
        ("create", SqlKeyword.Create, KeywordTraits.None),
        ("cube", SqlKeyword.Cube, KeywordTraits.NotAFunction),
        ("current_date", SqlKeyword.CurrentDate, KeywordTraits.NotAFunction),
        ("current_time", SqlKeyword.CurrentTime, KeywordTraits.NotAFunction),
        ("current_timestamp", SqlKeyword.CurrentTimestamp, KeywordTraits.NotAFunction),
        ("cursor", SqlKeyword.Cursor, KeywordTraits.None),
        ("database", SqlKeyword.Database, KeywordTraits.None),
        ("date", SqlKeyword.Date, KeywordTraits.None),
        ("deallocate", SqlKeyword.Deallocate, KeywordTraits.None),
        ("dec", SqlKeyword.Dec, KeywordTraits.NotAFunction),
        ("decimal", SqlKeyword.Decimal, KeywordTraits.NotAFunction),
        ("declare", SqlKeyword.Declare, KeywordTraits.None),
        ("default", SqlKeyword.Default, KeywordTraits.NotAFunction),
        ("default_transaction_isolation", SqlKeyword.DefaultTransactionIsolation, KeywordTraits.None),
        ("deferrable", SqlKeyword.Deferrable, KeywordTraits.None),
        ("delete", SqlKeyword.Delete, KeywordTraits.None),
        ("desc", SqlKeyword.Desc, KeywordTraits.None),
        ("detach", SqlKeyword.Detach, KeywordTraits.None),
        ("discard", SqlKeyword.Discard, KeywordTraits.None),
        ("distinct", SqlKeyword.Distinct, KeywordTraits.NotAFunction),
        ("do", SqlKeyword.Do, KeywordTraits.NotAFunction),
        ("drop", SqlKeyword.Drop, KeywordTraits.None),
        ("else", SqlKeyword.Else, KeywordTraits.NotAFunction),
        ("end", SqlKeyword.End, KeywordTraits.NotAFunction),
        ("except", SqlKeyword.Except, KeywordTraits.NotAFunction),
        ("exclude", SqlKeyword.Exclude, KeywordTraits.NotAFunction),
        ("execute", SqlKeyword.Execute, KeywordTraits.NextNameNotCalled),
        ("exists", SqlKeyword.Exists, KeywordTraits.NotAFunction | KeywordTraits.NextNameNotCalled),
        ("explain", SqlKeyword.Explain, KeywordTraits.NotAFunction),
        ("false", SqlKeyword.False, KeywordTraits.None),
        ("fetch", SqlKeyword.Fetch, KeywordTraits.None),
        ("filter", SqlKeyword.Filter, KeywordTraits.NotAFunction),
        ("first", SqlKeyword.First, KeywordTraits.None),
        ("float", SqlKeyword.Float, KeywordTraits.NotAFunction),
        ("for", SqlKeyword.For, KeywordTraits.NotAFunction),
        ("foreign", SqlKeyword.Foreign, KeywordTraits.NotAFunction),
        ("from", SqlKeyword.From, KeywordTraits.NotAFunction),
        ("function", SqlKeyword.Function, KeywordTraits.NextNameNotCalled),
        ("grant", SqlKeyword.Grant, KeywordTraits.None),
        ("greatest", SqlKeyword.Greatest, KeywordTraits.NotAFunction),
        ("group", SqlKeyword.Group, KeywordTraits.NotAFunction),
        ("grouping", SqlKeyword.Grouping, KeywordTraits.NotAFunction),
        ("having", SqlKeyword.Having, KeywordTraits.NotAFunction),
        ("ilike", SqlKeyword.ILike, KeywordTraits.NotAFunction),
        ("in", SqlKeyword.In, KeywordTraits.NotAFunction),
        ("include", SqlKeyword.Include, KeywordTraits.NotAFunction),
        ("index", SqlKeyword.Index, KeywordTraits.None),
        ("inherits", SqlKeyword.Inherits, KeywordTraits.NotAFunction),
        ("insert", SqlKeyword.Insert, KeywordTraits.None),
        ("int", SqlKeyword.Int, KeywordTraits.NotAFunction),
        ("integer", SqlKeyword.Integer, KeywordTraits.NotAFunction),
        ("intersect", SqlKeyword.Intersect, KeywordTraits.NotAFunction),
        ("interval", SqlKeyword.Interval, KeywordTraits.NotAFunction),
        ("into", SqlKeyword.Into, KeywordTraits.NotAFunction | KeywordTraits.NextNameNotCalled),
        ("is", SqlKeyword.Is, KeywordTraits.NotAFunction),
        ("isolation", SqlKeyword.Isolation, KeywordTraits.None),
        ("join", SqlKeyword.Join, KeywordTraits.NotAFunction),
        ("key", SqlKeyword.Key, KeywordTraits.NotAFunction),
        ("lateral", SqlKeyword.Lateral, KeywordTraits.NotAFunction),
        ("least", SqlKeyword.Least, KeywordTraits.NotAFunction),
        ("level", SqlKeyword.Level, KeywordTraits.None),
        ("like", SqlKeyword.Like, KeywordTraits.NotAFunction),
        ("limit", SqlKeyword.Limit, KeywordTraits.NotAFunction),
        ("listen", SqlKeyword.Listen, KeywordTraits.None),
        ("load", SqlKeyword.Load, KeywordTraits.None),
        ("local", SqlKeyword.Local, KeywordTraits.None),
        ("localtime", SqlKeyword.Localtime, KeywordTraits.NotAFunction),
        ("localtimestamp", SqlKeyword.Localtimestamp, KeywordTraits.NotAFunction),
        ("lock", SqlKeyword.Lock, KeywordTraits.None),
        ("materialized", SqlKeyword.Materialized, KeywordTraits.None),
        ("merge", SqlKeyword.Merge, KeywordTraits.None),
        ("move", SqlKeyword.Move, KeywordTraits.None),
        ("national", SqlKeyword.National, KeywordTraits.NotAFunction),
        ("nchar", SqlKeyword.Nchar, KeywordTraits.NotAFunction),
        ("no", SqlKeyword.No, KeywordTraits.None),
        ("not", SqlKeyword.Not, KeywordTraits.NotAFunction),
        ("notify", SqlKeyword.Notify, KeywordTraits.None),
        ("now", SqlKeyword.Now, KeywordTraits.None),
        ("nullif", SqlKeyword.Nullif, KeywordTraits.NotAFunction),
        ("numeric", SqlKeyword.Numeric, KeywordTraits.NotAFunction),
        ("off", SqlKeyword.Off, KeywordTraits.None),
        ("offset", SqlKeyword.Offset, KeywordTraits.NotAFunction),
        ("on", SqlKeyword.On, KeywordTraits.NotAFunction),
        ("only", SqlKeyword.Only, KeywordTraits.NotAFunction),
        ("operator", SqlKeyword.Operator, KeywordTraits.NotAFunction),
        ("options", SqlKeyword.Options, KeywordTraits.NotAFunction),
        ("or", SqlKeyword.Or, KeywordTraits.NotAFunction),
        ("order", SqlKeyword.Order, KeywordTraits.NotAFunction),
        ("over", SqlKeyword.Over, KeywordTraits.NotAFunction),
        ("partition", SqlKeyword.Partition, KeywordTraits.NotAFunction),
        ("precision", SqlKeyword.Precision, KeywordTraits.NotAFunction),
        ("prepare", SqlKeyword.Prepare, KeywordTraits.NextNameNotCalled),
        ("prepared", SqlKeyword.Prepared, KeywordTraits.None),
        ("primary", SqlKeyword.Primary, KeywordTraits.NotAFunction),
        ("procedure", SqlKeyword.Procedure, KeywordTraits.NextNameNotCalled),
        ("program", SqlKeyword.Program, KeywordTraits.None),
        ("range", SqlKeyword.Range, KeywordTraits.NotAFunction),
        ("read", SqlKeyword.Read, KeywordTraits.None),
        ("real", SqlKeyword.Real, KeywordTraits.NotAFunction),
        ("recursive", SqlKeyword.Recursive, KeywordTraits.None),
        ("references", SqlKeyword.References, KeywordTraits.NextNameNotCalled),
        ("reindex", SqlKeyword.Reindex, KeywordTraits.NotAFunction),
        ("release", SqlKeyword.Release, KeywordTraits.None),
        ("repeatable", SqlKeyword.Repeatable, KeywordTraits.NotAFunction),
        ("replace", SqlKeyword.Replace, KeywordTraits.None),
        ("reset", SqlKeyword.Reset, KeywordTraits.None),
        ("returning", SqlKeyword.Returning, KeywordTraits.NotAFunction),
        ("revoke", SqlKeyword.Revoke, KeywordTraits.None),
        ("rollback", SqlKeyword.Rollback, KeywordTraits.None),
        ("rollup", SqlKeyword.Rollup, KeywordTraits.NotAFunction),
        ("routine", SqlKeyword.Routine, KeywordTraits.NextNameNotCalled),
        ("row", SqlKeyword.Row, KeywordTraits.NotAFunction),
        ("rows", SqlKeyword.Rows, KeywordTraits.NotAFunction),
        ("savepoint", SqlKeyword.Savepoint, KeywordTraits.None),
        ("schema", SqlKeyword.Schema, KeywordTraits.None),
        ("second", SqlKeyword.Second, KeywordTraits.NotAFunction),
        ("select", SqlKeyword.Select, KeywordTraits.NotAFunction),
        ("serializable", SqlKeyword.Serializable, KeywordTraits.None),
        ("session", SqlKeyword.Session, KeywordTraits.None),
        ("set", SqlKeyword.Set, KeywordTraits.NotAFunction),
        ("sets", SqlKeyword.Sets, KeywordTraits.NotAFunction),
        ("share", SqlKeyword.Share, KeywordTraits.None),
        ("show", SqlKeyword.Show, KeywordTraits.None),
        ("similar", SqlKeyword.Similar, KeywordTraits.NotAFunction),
        ("smallint", SqlKeyword.Smallint, KeywordTraits.NotAFunction),
        ("some", SqlKeyword.Some, KeywordTraits.NotAFunction),
        ("start", SqlKeyword.Start, KeywordTraits.None),
        ("stdin", SqlKeyword.Stdin, KeywordTraits.NotAFunction),
        ("stdout", SqlKeyword.Stdout, KeywordTraits.NotAFunction),
        ("subscription", SqlKeyword.Subscription, KeywordTraits.None),
        ("system", SqlKeyword.System, KeywordTraits.None),
        ("table", SqlKeyword.Table, KeywordTraits.NotAFunction | KeywordTraits.NextNameNotCalled),
        ("tablesample", SqlKeyword.Tablesample, KeywordTraits.NextNameNotCalled),
        ("tablespace", SqlKeyword.Tablespace, KeywordTraits.None),
        ("then", SqlKeyword.Then, KeywordTraits.NotAFunction),
        ("time", SqlKeyword.Time, KeywordTraits.NotAFunction),
        ("timestamp", SqlKeyword.Timestamp, KeywordTraits.NotAFunction),
        ("timestamptz", SqlKeyword.Timestamptz, KeywordTraits.NotAFunction),
        ("timetz", SqlKeyword.Timetz, KeywordTraits.NotAFunction),
        ("to", SqlKeyword.To, KeywordTraits.None),
        ("transaction", SqlKeyword.Transaction, KeywordTraits.None),
        ("transaction_isolation", SqlKeyword.TransactionIsolation, KeywordTraits.None),
        ("transaction_timestamp", SqlKeyword.TransactionTimestamp, KeywordTraits.None),
        ("trim", SqlKeyword.Trim, KeywordTraits.NotAFunction),
        ("true", SqlKeyword.True, KeywordTraits.None),
        ("type", SqlKeyword.Type, KeywordTraits.NextNameNotCalled),
        ("uncommitted", SqlKeyword.Uncommitted, KeywordTraits.None),
        ("union", SqlKeyword.Union, KeywordTraits.NotAFunction),
        ("unique", SqlKeyword.Unique, KeywordTraits.NotAFunction),
        ("unlisten", SqlKeyword.Unlisten, KeywordTraits.None),
        ("update", SqlKeyword.Update, KeywordTraits.None),
        ("using", SqlKeyword.Using, KeywordTraits.NotAFunction),
        ("vacuum", SqlKeyword.Vacuum, KeywordTraits.NotAFunction),
        ("values", SqlKeyword.Values, KeywordTraits.NotAFunction),
        ("varchar", SqlKeyword.Varchar, KeywordTraits.NotAFunction),
        ("variadic", SqlKeyword.Variadic, KeywordTraits.NotAFunction),
        ("varying", SqlKeyword.Varying, KeywordTraits.NotAFunction),
        ("verbose", SqlKeyword.Verbose, KeywordTraits.None),
        ("view", SqlKeyword.View, KeywordTraits.NextNameNotCalled),
        ("when", SqlKeyword.When, KeywordTraits.NotAFunction),
        ("where", SqlKeyword.Where, KeywordTraits.NotAFunction),
        ("window", SqlKeyword.Window, KeywordTraits.NotAFunction),
        ("with", SqlKeyword.With, KeywordTraits.NotAFunction),
        ("within", SqlKeyword.Within, KeywordTraits.NotAFunction),
        ("without", SqlKeyword.Without, KeywordTraits.NotAFunction),
        ("work", SqlKeyword.Work, KeywordTraits.None),
        ("write", SqlKeyword.Write, KeywordTraits.None),
        ("zone", SqlKeyword.Zone, KeywordTraits.None),
    ];

    /// <summary>1024 slots for about 210 keywords: most look-ups end at the first slot.</summary>
    private const int SlotBits = 10;

    private static readonly string[] LowerTexts = BuildLowerTexts();

    private static readonly SqlKeyword[] Slots = BuildSlots();

    private static readonly KeywordTraits[] TraitsOf = BuildTraits();

    /// <summary>The keyword a word is, or <see cref="SqlKeyword.None"/>.</summary>
    public static SqlKeyword Find(ReadOnlySpan<char> word)
    {
        if (word.Length is < 2 or > MaxLength)
        {
            return SqlKeyword.None;
        }

        const int Mask = (1 << SlotBits) - 1;
        for (var slot = Slot(word); ; slot = (slot + 1) & Mask)
        {
            var keyword = Slots[slot];
            if (keyword == SqlKeyword.None || EqualsLower(word, LowerTexts[(int)keyword]))
            {
                return keyword;
            }
        }
    }

    private static int Slot(ReadOnlySpan<char> word)
    {
        var h = (uint)word.Length;
        h = (h * 31) + (word[0] | 0x20u);
        h = (h * 31) + (word[word.Length >> 1] | 0x20u);
        h = (h * 31) + (word[^1] | 0x20u);
        return (int)((h * 2654435769u) >> (32 - SlotBits));
    }

    /// <summary>
    /// ASCII case-insensitive comparison with a lower-case keyword. <c>c | 0x20</c> equals a lower-case letter
    /// only for that letter in either case, and never equals '_' or a digit, so the test is exact.
    /// </summary>
    private static bool EqualsLower(ReadOnlySpan<char> word, string lower)
    {
        if (word.Length != lower.Length)
        {
            return false;
        }

        for (var i = 0; i < word.Length; i++)
        {
            var c = word[i];
            if (c != lower[i] && (c | 0x20) != lower[i])
            {
                return false;
            }
        }

        return true;
    }

    public static KeywordTraits Traits(SqlKeyword keyword) => TraitsOf[(int)keyword];

    /// <summary>The keyword's text in upper case, for logs; a constant string, so it costs no allocation.</summary>
    public static string UpperText(SqlKeyword keyword) => UpperTexts[(int)keyword];

    private static readonly string[] UpperTexts = BuildUpperTexts();

    private static string[] BuildLowerTexts()
    {
        var texts = new string[Enum.GetValues<SqlKeyword>().Length];
        foreach (var (text, keyword, _) in Table)
        {
            texts[(int)keyword] = text;
        }

        return texts;
    }

    private static SqlKeyword[] BuildSlots()
    {
        const int Mask = (1 << SlotBits) - 1;
        var slots = new SqlKeyword[1 << SlotBits];
        foreach (var (text, keyword, _) in Table)
        {
            var slot = Slot(text);
            while (slots[slot] != SqlKeyword.None)
            {
                slot = (slot + 1) & Mask;
            }

            slots[slot] = keyword;
        }

        return slots;
    }

    private static KeywordTraits[] BuildTraits()
    {
        var traits = new KeywordTraits[Enum.GetValues<SqlKeyword>().Length];
        foreach (var (_, keyword, t) in Table)
        {
            traits[(int)keyword] = t;
        }

        return traits;
    }

    private static string[] BuildUpperTexts()
    {
        var texts = new string[Enum.GetValues<SqlKeyword>().Length];
        texts[0] = "";
        foreach (var (text, keyword, _) in Table)
        {
            texts[(int)keyword] = text.ToUpperInvariant();
        }

        return texts;
    }
}

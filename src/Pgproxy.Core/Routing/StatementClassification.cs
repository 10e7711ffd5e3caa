namespace Pgproxy.Core.Routing;

/// <summary>
/// What <see cref="StatementClassifier"/> found in one query string (one or more statements). Immutable, so one
/// instance can be cached and shared by every session.
/// </summary>
internal sealed class StatementClassification
{
    internal StatementClassification(
        StatementKind kind,
        StatementFlags flags,
        IReadOnlyList<string> functionNames,
        IReadOnlyList<TimeFunctionSpan> timeFunctions,
        IReadOnlyList<string> insertTables,
        string? insertTable,
        string? copyTable,
        string? preparedName,
        StatementKind preparedInnerKind,
        string? firstKeyword,
        int statementCount,
        IReadOnlyList<string>? evaluatedFunctionNames = null,
        IReadOnlyList<RestoredDefault>? restoredDefaults = null)
    {
        Kind = kind;
        Flags = flags;
        FunctionNames = functionNames;
        EvaluatedFunctionNames = evaluatedFunctionNames ?? functionNames;
        RestoredDefaults = restoredDefaults ?? [];
        TimeFunctions = timeFunctions;
        InsertTables = insertTables;
        InsertTable = insertTable;
        CopyTable = copyTable;
        PreparedName = preparedName;
        PreparedInnerKind = preparedInnerKind;
        FirstKeyword = firstKeyword;
        StatementCount = statementCount;
    }

    /// <summary>The kind of the whole string; a multi-statement string gets the combined kind.</summary>
    public StatementKind Kind { get; }

    public StatementFlags Flags { get; }

    /// <summary>
    /// Every name written as a call (<c>name(</c>) in any statement: distinct, in order of appearance, schema
    /// stripped (<c>pg_catalog.now</c> → <c>now</c>), unquoted names lower-cased, quoted names as written without
    /// the quotes. Grammar that looks like a call (<c>IN (</c>, <c>numeric(10,2)</c>, <c>INSERT INTO t (</c>,
    /// <c>CREATE FUNCTION f(</c>, <c>AS alias(</c>, CURRENT_TIMESTAMP(3)…) is left out; a name that is not a
    /// function (an alias column list <c>FROM t x(a)</c>) may still appear, so look names up, don't trust them.
    /// </summary>
    public IReadOnlyList<string> FunctionNames { get; }

    /// <summary>Whether <see cref="FunctionNames"/> holds <paramref name="function"/> (case ignored).</summary>
    public bool Calls(string function)
    {
        foreach (var name in FunctionNames)
        {
            if (name.Equals(function, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The <see cref="FunctionNames"/> called as the statement runs: without those that only appear in a definition
    /// PostgreSQL stores (a column DEFAULT of CREATE TABLE, a view, ALTER … SET DEFAULT), which no node evaluates
    /// now — what <c>nondeterministic_write</c> looks at.
    /// </summary>
    public IReadOnlyList<string> EvaluatedFunctionNames { get; }

    /// <summary>
    /// Columns an ALTER TABLE adds with a time-based DEFAULT: the other nodes get main's time for the existing rows
    /// and the expression restored for later ones (see <see cref="RestoredDefault"/>); in text order.
    /// </summary>
    public IReadOnlyList<RestoredDefault> RestoredDefaults { get; }

    /// <summary>
    /// Current-time expressions that are evaluated when the statement runs, in text order (UTF-16 offsets into
    /// the original string). Found in every kind of statement; those inside stored definitions are not listed
    /// (see <see cref="StatementFlags.StoredTimeFunctions"/>).
    /// </summary>
    public IReadOnlyList<TimeFunctionSpan> TimeFunctions { get; }

    /// <summary>
    /// The target of the INSERT that the first statement is (under WITH or EXPLAIN ANALYZE too), or of the
    /// INSERT inside <c>PREPARE x AS INSERT …</c> (then the Insert flag is not set: the PREPARE inserts nothing).
    /// Schema-qualified if it was written so; unquoted parts lower-cased, quoted parts as written.
    /// </summary>
    public string? InsertTable { get; }

    /// <summary>The targets of every INSERT in the string (all statements), distinct, in order.</summary>
    public IReadOnlyList<string> InsertTables { get; }

    /// <summary>
    /// The table of <c>COPY t [(…)] FROM/TO</c> (null for <c>COPY (query) TO</c>), named like InsertTable.
    /// </summary>
    public string? CopyTable { get; }

    /// <summary>
    /// The statement name of <c>PREPARE x</c>, <c>EXECUTE x</c>, <c>DEALLOCATE [PREPARE] x</c> (ALL gives
    /// <c>"*"</c>), and of <c>EXPLAIN [ANALYZE] EXECUTE x</c>.
    /// </summary>
    public string? PreparedName { get; }

    /// <summary>
    /// For <c>PREPARE x AS inner</c>: the kind of the inner statement; otherwise equal to <see cref="Kind"/>.
    /// </summary>
    public StatementKind PreparedInnerKind { get; }

    /// <summary>
    /// The first keyword of the first statement in upper case (<c>"SELECT"</c>), for logs; null when empty.
    /// </summary>
    public string? FirstKeyword { get; }

    /// <summary>Number of non-empty statements (0 for the empty query).</summary>
    public int StatementCount { get; }

    /// <summary>
    /// A call that creates a large object with an OID the server picks (lo_creat…), or null: set once by the
    /// classifier, before the instance is shared.
    /// </summary>
    public LargeObjectCall? LargeObjects { get; private set; }

    internal StatementClassification WithLargeObjects(LargeObjectCall? call)
    {
        LargeObjects = call;
        return this;
    }

    /// <summary>
    /// A read that names <c>xmin</c>, a row version each node numbers itself: main answers it (see
    /// <see cref="RowVersionScanner"/>). Set once by the classifier, before the instance is shared.
    /// </summary>
    public bool ReadsRowVersions { get; private set; }

    /// <summary>
    /// An UPDATE's or DELETE's comparisons of xmin with a value, in text order (see <see cref="RowVersionScanner"/>).
    /// </summary>
    public IReadOnlyList<RowVersionCheck> RowVersionChecks { get; private set; } = [];

    internal StatementClassification WithRowVersions(bool reads, IReadOnlyList<RowVersionCheck> checks)
    {
        ReadsRowVersions = reads;
        RowVersionChecks = checks;
        return this;
    }

    public override string ToString() => $"{Kind} {Flags} {FirstKeyword}";
}

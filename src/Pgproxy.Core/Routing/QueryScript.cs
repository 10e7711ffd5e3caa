using System.Text.RegularExpressions;

namespace Pgproxy.Core.Routing;

/// <summary>
/// A multi-statement query string that begins or ends a transaction, cut into the steps pgproxy runs one after
/// another (DESIGN §3.8): each transaction-control statement is a step of its own, and the statements between
/// them are one step each run. Main running the whole string at once would commit a write before the other
/// nodes hold its locks; run in steps, every COMMIT goes through the ordered commit like one sent on its own.
/// Pure: the session decides how each step runs from its classification and the transaction's state.
/// </summary>
internal sealed partial class QueryScript
{
    private QueryScript(IReadOnlyList<QueryScriptStep> steps) => Steps = steps;

    public IReadOnlyList<QueryScriptStep> Steps { get; }

    /// <summary>
    /// The steps of <paramref name="sql"/>; null when it cannot be split (PostgreSQL rejects it whole). A statement
    /// <paramref name="alone"/> says so of is a step of its own too: an INSERT that takes insert_lock's lock, which
    /// is then held no longer than the INSERT needs it (QueryRunner.RunAsync).
    /// </summary>
    public static QueryScript? TryCut(string sql, Func<StatementClassification, bool>? alone = null)
    {
        var ranges = new List<Range>();
        if (!StatementClassifier.TrySplit(sql, ranges) || ranges.Count == 0)
        {
            return null;
        }

        var steps = new List<QueryScriptStep>();
        var runStart = -1;
        var runEnd = 0;
        foreach (var range in ranges)
        {
            var (start, length) = range.GetOffsetAndLength(sql.Length);
            var text = sql.Substring(start, length);
            var statement = StatementClassifier.Classify(text);
            if (!IsControl(statement) && alone?.Invoke(statement) == true)
            {
                AddRun(sql, steps, ref runStart, runEnd);
                steps.Add(new QueryScriptStep(text, Position(sql, start), statement, Control: false));
                continue;
            }

            if (!IsControl(statement))
            {
                runStart = runStart < 0 ? start : runStart;
                runEnd = start + length;
                continue;
            }

            AddRun(sql, steps, ref runStart, runEnd);
            steps.Add(new QueryScriptStep(text, Position(sql, start), statement, Control: true));
        }

        AddRun(sql, steps, ref runStart, runEnd);
        return new QueryScript(steps);
    }

    /// <summary>
    /// COMMIT/END or ROLLBACK/ABORT with nothing more (no AND CHAIN, not PREPARED): the statements PostgreSQL
    /// accepts in an implicit transaction block, with a warning, and which end it.
    /// </summary>
    public static bool IsPlainEnd(string text) => PlainEnd().IsMatch(text);

    /// <summary>BEGIN/START TRANSACTION without modes: in an implicit block, PostgreSQL just makes it explicit.</summary>
    public static bool IsBareBegin(string text) => BareBegin().IsMatch(text);

    /// <summary>BEGIN, COMMIT, ROLLBACK, PREPARE TRANSACTION and the savepoint statements.</summary>
    private static bool IsControl(StatementClassification statement) =>
        statement.Kind is StatementKind.Begin or StatementKind.Commit or StatementKind.Rollback
        || (statement.Kind == StatementKind.SessionState
            && statement.FirstKeyword is "SAVEPOINT" or "RELEASE" or "ROLLBACK");

    private static void AddRun(string sql, List<QueryScriptStep> steps, ref int runStart, int runEnd)
    {
        if (runStart < 0)
        {
            return;
        }

        var text = sql[runStart..runEnd];
        steps.Add(new QueryScriptStep(text, Position(sql, runStart), StatementClassifier.Classify(text),
            Control: false));
        runStart = -1;
    }

    /// <summary>
    /// Characters before <paramref name="offset"/> as PostgreSQL counts an error position: code points, so a
    /// surrogate pair counts once.
    /// </summary>
    private static int Position(string sql, int offset)
    {
        var count = offset;
        for (var i = 0; i < offset; i++)
        {
            if (char.IsLowSurrogate(sql[i]))
            {
                count--;
            }
        }

        return count;
    }

    [GeneratedRegex(@"^(COMMIT|END|ROLLBACK|ABORT)(\s+(WORK|TRANSACTION))?(\s+AND\s+NO\s+CHAIN)?\s*$",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex PlainEnd();

    [GeneratedRegex(@"^(BEGIN(\s+(WORK|TRANSACTION))?|START\s+TRANSACTION)\s*$",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex BareBegin();
}

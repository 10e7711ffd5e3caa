using System.Buffers;
using System.Text;

namespace Pgproxy.Core.Routing;

/// <summary>
/// Classifies a simple-query string (or a Parse's text) for the router: splits it into statements at top-level
/// semicolons, classifies each with <see cref="StatementParser"/>, collects calls and time expressions with
/// <see cref="CallScanner"/>, and combines the results. Pure and thread-safe; never throws on bad SQL, which is
/// simply a <see cref="StatementKind.Write"/> (PostgreSQL will reject it on main, and the others never see it).
/// </summary>
internal static class StatementClassifier
{
    private const StatementFlags CombinedFlags = StatementFlags.StrictIsolation | StatementFlags.CopyFromStdin
        | StatementFlags.CopyToStdout | StatementFlags.ExplainAnalyze | StatementFlags.ReadOnlyTransactionStart
        | StatementFlags.LocksOnMainOnly | StatementFlags.TimingDependentWrite | StatementFlags.SchemaChange
        | StatementFlags.ReadsMainOnlyView | StatementFlags.StoresNodeState | StatementFlags.NamesIsolationLevel
        | StatementFlags.ReadsOtherRows;

    public static StatementClassification Classify(string sql)
    {
        ArgumentNullException.ThrowIfNull(sql);
        var buffer = ArrayPool<SqlToken>.Shared.Rent(64);
        try
        {
            var count = Tokenize(sql, ref buffer, out var unterminated);
            var all = new StatementTokens(buffer.AsSpan(0, count), sql);
            return unterminated ? Unparsable(all) : Classify(all);
        }
        finally
        {
            ArrayPool<SqlToken>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// Decodes UTF-8 text and classifies it; a Query body's terminating NUL (and anything after it) is ignored.
    /// </summary>
    public static StatementClassification Classify(ReadOnlySpan<byte> utf8Sql)
    {
        var nul = utf8Sql.IndexOf((byte)0);
        return Classify(Encoding.UTF8.GetString(nul < 0 ? utf8Sql : utf8Sql[..nul]));
    }

    private static int Tokenize(string sql, ref SqlToken[] buffer, out bool unterminated)
    {
        var lexer = new SqlLexer(sql);
        var count = 0;
        unterminated = false;
        while (lexer.Next(out var token))
        {
            if (token.Kind == SqlTokenKind.Unterminated)
            {
                unterminated = true;
                break;
            }

            if (count == buffer.Length)
            {
                var larger = ArrayPool<SqlToken>.Shared.Rent(buffer.Length * 2);
                buffer.AsSpan().CopyTo(larger);
                ArrayPool<SqlToken>.Shared.Return(buffer);
                buffer = larger;
            }

            buffer[count++] = token;
        }

        return count;
    }

    private static StatementClassification Classify(StatementTokens all)
    {
        var acc = new Accumulator();
        for (var start = 0; start <= all.Count;)
        {
            if (!TryFindEnd(all, start, out var end))
            {
                return Unparsable(all);
            }

            if (end > start)
            {
                acc.Add(all.Slice(start, end));
            }

            start = end + 1;
        }

        return RowVersionScanner.Attach(LargeObjectCallScanner.Attach(acc.Build(), all), all);
    }

    /// <summary>
    /// The statements of a query string, in order, as ranges of <paramref name="sql"/> from their first token to
    /// their last (the semicolon between them excluded); false when the string cannot be split (an unterminated
    /// string or comment, unbalanced parentheses), which PostgreSQL rejects as a whole.
    /// </summary>
    public static bool TrySplit(string sql, List<Range> statements)
    {
        ArgumentNullException.ThrowIfNull(sql);
        ArgumentNullException.ThrowIfNull(statements);
        var buffer = ArrayPool<SqlToken>.Shared.Rent(64);
        try
        {
            var count = Tokenize(sql, ref buffer, out var unterminated);
            if (unterminated)
            {
                return false;
            }

            var all = new StatementTokens(buffer.AsSpan(0, count), sql);
            for (var start = 0; start <= all.Count;)
            {
                if (!TryFindEnd(all, start, out var end))
                {
                    return false;
                }

                if (end > start)
                {
                    statements.Add(new Range(all.Tokens[start].Start, all.Tokens[end - 1].End));
                }

                start = end + 1;
            }

            return true;
        }
        finally
        {
            ArrayPool<SqlToken>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// The index of the semicolon that ends the statement starting at token <paramref name="start"/> (or the
    /// token count at the end); false for a semicolon inside parentheses or unbalanced parentheses.
    /// </summary>
    internal static bool TryFindEnd(StatementTokens all, int start, out int end)
    {
        var depth = 0;
        var atomicDepth = 0;
        var routine = (bool?)null;
        for (end = start; end < all.Count; end++)
        {
            var token = all.Tokens[end];
            if (token.Kind == SqlTokenKind.OpenParen)
            {
                depth++;
            }
            else if ((token.Kind == SqlTokenKind.CloseParen && --depth < 0)
                || (token.Kind == SqlTokenKind.Semicolon && depth > 0))
            {
                // Unbalanced, or a semicolon inside parentheses: not SQL that PostgreSQL will run.
                return false;
            }
            else if (depth == 0 && token.Keyword is SqlKeyword.Begin or SqlKeyword.Case or SqlKeyword.End)
            {
                routine ??= IsCreateRoutine(all, start);
                atomicDepth = routine.Value ? AtomicDepth(token.Keyword, atomicDepth) : 0;
            }

            if (token.Kind == SqlTokenKind.Semicolon && depth == 0 && atomicDepth == 0)
            {
                return true;
            }
        }

        return depth == 0 && atomicDepth == 0;
    }

    /// <summary>
    /// CREATE [OR REPLACE] FUNCTION/PROCEDURE … BEGIN ATOMIC … END holds semicolons that do not end the
    /// statement. The same heuristic as psql: inside such a statement, at parenthesis depth 0, BEGIN opens a
    /// block, CASE opens one when already inside a block (it also ends with END), END closes one.
    /// </summary>
    private static bool IsCreateRoutine(StatementTokens all, int start)
    {
        if (!all.Is(start, SqlKeyword.Create))
        {
            return false;
        }

        var kind = all.Is(start + 1, SqlKeyword.Or) && all.Is(start + 2, SqlKeyword.Replace)
            ? all.Keyword(start + 3)
            : all.Keyword(start + 1);
        return kind is SqlKeyword.Function or SqlKeyword.Procedure;
    }

    private static int AtomicDepth(SqlKeyword keyword, int depth) => keyword switch
    {
        SqlKeyword.Begin => depth + 1,
        SqlKeyword.Case when depth > 0 => depth + 1,
        SqlKeyword.End when depth > 0 => depth - 1,
        _ => depth,
    };

    /// <summary>
    /// An unterminated string or comment, or unbalanced parentheses: PostgreSQL will reject it; a write.
    /// </summary>
    private static StatementClassification Unparsable(StatementTokens all) => new(
        StatementKind.Write, StatementFlags.None, [], [], [], null, null, null, StatementKind.Write,
        FirstKeyword(all), statementCount: 1);

    /// <summary>
    /// The first word, skipping opening parentheses, in upper case: a constant string for known keywords.
    /// </summary>
    internal static string? FirstKeyword(StatementTokens st)
    {
        var i = 0;
        while (st.Is(i, SqlTokenKind.OpenParen))
        {
            i++;
        }

        if (!st.Is(i, SqlTokenKind.Word))
        {
            return null;
        }

        var keyword = st.Keyword(i);
        return keyword != SqlKeyword.None ? SqlKeywords.UpperText(keyword) : st.TextOf(i).ToString().ToUpperInvariant();
    }

    /// <summary>Combines the statements of one string into one classification.</summary>
    private ref struct Accumulator
    {
        private List<string>? _names;
        private List<RestoredDefault>? _restores;

        /// <summary>The names called as the string runs, once one only stores calls (else all _names).</summary>
        private List<string>? _evaluated;
        private List<TimeFunctionSpan>? _times;
        private List<string>? _insertTables;
        private StatementInfo _first;
        private string? _firstKeyword;
        private StatementFlags _flags;
        private int _count;
        private bool _transactionControl;
        private bool _outsideTransaction;
        private bool _allRead;

        public Accumulator() => _allRead = true;

        public void Add(StatementTokens st)
        {
            var info = StatementParser.Classify(st);
            info.Flags |= StatementParser.WriteHazards(st, info);

            if (info.Kind is StatementKind.Write or StatementKind.WriteOutsideTransaction
                && StatementParser.ChangesSchema(st))
            {
                info.Flags |= StatementFlags.SchemaChange;
            }

            var timesBefore = _times?.Count ?? 0;
            var namesBefore = _names?.Count ?? 0;
            var returning = ReturningClause.Find(st, info);
            var scanned = returning < 0 ? st : st.Slice(0, returning);
            CallScanner.Scan(scanned, !info.NamesWithoutCalling, ref _names, ref _times);
            if (info.StoresCalls && _names is not null && _names.Count > namesBefore && _evaluated is null)
            {
                // From here on the names called now are a subset of all names: keep them apart.
                _evaluated = _names.GetRange(0, namesBefore);
            }
            else if (!info.StoresCalls && _evaluated is not null && _names is not null)
            {
                for (var n = namesBefore; n < _names.Count; n++)
                {
                    _evaluated.Add(_names[n]);
                }
            }

            ReturningClause.ScanCalls(st, returning, !info.NamesWithoutCalling, ref _names, ref _evaluated, ref _times);
            if (!info.EvaluatesNow && _times is not null && _times.Count > timesBefore)
            {
                // A stored definition (DEFAULT now(), a view, a PREPARE body): a literal would freeze it. Only the
                // parts an ALTER TABLE evaluates now (an added column's DEFAULT, USING) keep theirs.
                var stored = 0;
                for (var t = _times.Count - 1; t >= timesBefore; t--)
                {
                    if (!Evaluated(info, _times[t]))
                    {
                        _times.RemoveAt(t);
                        stored++;
                    }
                }

                if (stored > 0)
                {
                    _flags |= StatementFlags.StoredTimeFunctions;
                }

                AddRestoredDefaults(info, timesBefore);
            }

            if (_count++ == 0)
            {
                _first = info;
                _firstKeyword = FirstKeyword(st);
            }

            _transactionControl |= info.IsTransactionControl;
            _outsideTransaction |= info.Kind == StatementKind.WriteOutsideTransaction;
            _allRead &= info.Kind == StatementKind.Read;
            _flags |= info.Flags & CombinedFlags;
            if ((info.Flags & StatementFlags.Insert) != 0 && info.InsertTable is { } table)
            {
                _insertTables ??= [];
                if (!_insertTables.Contains(table))
                {
                    _insertTables.Add(table);
                }
            }
        }

        private static bool Evaluated(in StatementInfo info, TimeFunctionSpan span)
        {
            if (info.EvaluatedRanges is not { } ranges)
            {
                return false;
            }

            foreach (var (start, end) in ranges)
            {
                if (span.Start >= start && span.Start + span.Length <= end)
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>The added columns whose DEFAULT kept a time function: the others must restore it.</summary>
        private void AddRestoredDefaults(in StatementInfo info, int timesBefore)
        {
            if (info.RestoredDefaults is not { } restores || _times is null)
            {
                return;
            }

            foreach (var restore in restores)
            {
                for (var t = timesBefore; t < _times.Count; t++)
                {
                    if (_times[t].Start >= restore.ExpressionStart
                        && _times[t].Start < restore.ExpressionStart + restore.ExpressionLength)
                    {
                        (_restores ??= []).Add(restore);
                        break;
                    }
                }
            }
        }

        public readonly StatementClassification Build()
        {
            var kind = _count switch
            {
                0 => StatementKind.Read,
                1 => _first.Kind,
                _ when _transactionControl => StatementKind.Write,
                _ when _outsideTransaction => StatementKind.WriteOutsideTransaction,
                _ when _allRead => StatementKind.Read,
                _ => StatementKind.Write,
            };
            var flags = _flags | (_first.Flags & StatementFlags.Insert);
            if (_count > 1)
            {
                flags |= StatementFlags.MultiStatement
                    | (_transactionControl ? StatementFlags.TransactionControlInside : 0);
            }

            if (_times is { Count: > 0 })
            {
                flags |= StatementFlags.HasTimeFunctions;
            }

            return new StatementClassification(
                kind,
                flags,
                _names is null ? [] : _names.ToArray(),
                _times is null ? [] : _times.ToArray(),
                _insertTables is null ? [] : _insertTables.ToArray(),
                _first.InsertTable,
                _first.CopyTable,
                _first.PreparedName,
                _first.PreparedInnerKind ?? kind,
                _firstKeyword,
                _count,
                // Several statements may call the same name, stored in one and evaluated in another: all count.
                _count == 1 ? _evaluated?.ToArray() : null,
                _restores?.ToArray());
        }
    }
}

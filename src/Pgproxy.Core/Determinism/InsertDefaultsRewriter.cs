using Pgproxy.Core.Routing;

namespace Pgproxy.Core.Determinism;

/// <summary>
/// Spells out, for the other nodes, the columns an INSERT leaves to a time-based default (DESIGN §4): main runs
/// the original text, whose default reads main's transaction timestamp; the others get the same INSERT with
/// that default's expression, main's timestamp in place of now() and co, added for every omitted column and
/// put in place of every <c>DEFAULT</c>:
/// <c>INSERT INTO t (a) VALUES (1), (2)</c> → <c>INSERT INTO t (a, "created") VALUES (1, (now())), (2, (now()))</c>
/// (now() then rendered as the literal), <c>DEFAULT VALUES</c> → an explicit list, no column list → the table's
/// leading columns named, <c>INSERT … SELECT</c> → the expressions appended to every select list of the query.
/// Columns whose default is volatile make the statement refused instead. Pure: the table descriptions are given.
/// </summary>
internal static partial class InsertDefaultsRewriter
{
    /// <summary>
    /// The target of every INSERT that runs when <paramref name="sql"/> does: top-level, after WITH, inside
    /// data-modifying CTEs, under EXPLAIN and PREPARE. Named like <see cref="StatementClassification.InsertTable"/>.
    /// </summary>
    /// <param name="sql">The query string.</param>
    /// <param name="withUpdates">Also the target of every UPDATE (whose SET may assign an untyped 'now').</param>
    public static IReadOnlyList<string> Targets(string sql, bool withUpdates = false)
    {
        var walker = new Walker(sql, tables: null) { WithUpdates = withUpdates };
        walker.Run();
        return walker.Targets;
    }

    /// <summary>
    /// What the other nodes' copy of <paramref name="sql"/> needs, given the tables it inserts into (a table
    /// missing from <paramref name="tables"/> is left alone).
    /// </summary>
    public static DefaultsRewrite Analyze(string sql, IReadOnlyDictionary<string, TableDefaults> tables)
    {
        ArgumentNullException.ThrowIfNull(tables);
        var walker = new Walker(sql, tables);
        walker.Run();
        return walker.Result();
    }

    /// <summary>One pass over the tokens of a query string.</summary>
    private sealed partial class Walker
    {
        private readonly string _sql;
        private readonly SqlToken[] _tokens;
        private readonly IReadOnlyDictionary<string, TableDefaults>? _tables;
        private readonly List<TextEdit> _edits = [];
        private string? _refusal;

        /// <summary>Inside <c>PREPARE … AS</c>: the body is stored, so an edit would freeze the value.</summary>
        private bool _prepared;

        public Walker(string sql, IReadOnlyDictionary<string, TableDefaults>? tables)
        {
            ArgumentNullException.ThrowIfNull(sql);
            _sql = sql;
            _tables = tables;
            var tokens = new List<SqlToken>();
            var lexer = new SqlLexer(sql);
            while (lexer.Next(out var token))
            {
                if (token.Kind == SqlTokenKind.Unterminated)
                {
                    // PostgreSQL rejects it on main; the others never see it.
                    tokens.Clear();
                    break;
                }

                tokens.Add(token);
            }

            _tokens = [.. tokens];
        }

        public List<string> Targets { get; } = [];

        /// <summary>Without tables: <see cref="Targets"/> lists UPDATE targets too.</summary>
        public bool WithUpdates { get; init; }

        private StatementTokens St => new(_tokens, _sql);

        private int Count => _tokens.Length;

        public DefaultsRewrite Result()
        {
            if (_edits.Count == 0 && _refusal is null)
            {
                return DefaultsRewrite.None;
            }

            _edits.Sort((a, b) => a.Start.CompareTo(b.Start));
            return new DefaultsRewrite([.. _edits], _refusal);
        }

        /// <summary>Splits the string at top-level semicolons as the classifier does, BEGIN ATOMIC bodies included.</summary>
        public void Run()
        {
            var start = 0;
            var depth = 0;
            var atomicDepth = 0;
            bool? routine = null;
            for (var i = 0; i < Count; i++)
            {
                var token = _tokens[i];
                if (token.Kind == SqlTokenKind.OpenParen)
                {
                    depth++;
                }
                else if (token.Kind == SqlTokenKind.CloseParen && --depth < 0)
                {
                    return; // unbalanced: PostgreSQL rejects it on main
                }
                else if (depth == 0 && token.Kind == SqlTokenKind.Word
                                    && token.Keyword is SqlKeyword.Begin or SqlKeyword.Case or SqlKeyword.End)
                {
                    routine ??= IsCreateRoutine(start);
                    atomicDepth = !routine.Value ? 0 : token.Keyword switch
                    {
                        SqlKeyword.Begin => atomicDepth + 1,
                        SqlKeyword.Case when atomicDepth > 0 => atomicDepth + 1,
                        SqlKeyword.End when atomicDepth > 0 => atomicDepth - 1,
                        _ => atomicDepth,
                    };
                }
                else if (token.Kind == SqlTokenKind.Semicolon && depth == 0 && atomicDepth == 0)
                {
                    Statement(start, i);
                    start = i + 1;
                    routine = null;
                }
            }

            if (depth == 0 && start < Count)
            {
                Statement(start, Count);
            }
        }

        private bool IsCreateRoutine(int start)
        {
            if (!Is(start, SqlKeyword.Create))
            {
                return false;
            }

            var kind = Is(start + 1, SqlKeyword.Or) && Is(start + 2, SqlKeyword.Replace)
                ? Keyword(start + 3)
                : Keyword(start + 1);
            return kind is SqlKeyword.Function or SqlKeyword.Procedure;
        }

        /// <summary>One statement [start, end): INSERT, UPDATE, WITH, EXPLAIN [ANALYZE] or PREPARE … AS of those.</summary>
        private void Statement(int start, int end)
        {
            var i = start;
            _prepared = false;
            if (Is(i, SqlKeyword.Explain))
            {
                i++;
                if (Kind(i) == SqlTokenKind.OpenParen)
                {
                    i = Matching(i);
                    if (i < 0)
                    {
                        return;
                    }

                    i++;
                }

                while (i < end && Keyword(i) is SqlKeyword.Analyze or SqlKeyword.Analyse or SqlKeyword.Verbose)
                {
                    i++;
                }
            }
            else if (Is(i, SqlKeyword.Prepare))
            {
                while (i < end && !Is(i, SqlKeyword.As))
                {
                    i = Kind(i) == SqlTokenKind.OpenParen ? Matching(i) : i;
                    if (i < 0)
                    {
                        return;
                    }

                    i++;
                }

                i++;
                _prepared = true;
            }

            Query(i, end);
        }

        /// <summary>A statement that may start with WITH: its data-modifying CTEs, then its main part.</summary>
        private void Query(int i, int end)
        {
            if (Is(i, SqlKeyword.With))
            {
                i = CteList(i, end, visit: true);
            }

            if (Is(i, SqlKeyword.Insert))
            {
                Insert(i, end);
            }
            else if (Is(i, SqlKeyword.Update))
            {
                Update(i, end);
            }
        }

        /// <summary>
        /// Skips <c>WITH [RECURSIVE] name [(cols)] AS [[NOT] MATERIALIZED] (body) [SEARCH…|CYCLE…] [, …]</c>
        /// (visiting each parenthesised part as a statement when asked) and returns where the main part starts.
        /// </summary>
        private int CteList(int with, int end, bool visit)
        {
            for (var j = with + 1; j < end; j++)
            {
                if (Kind(j) == SqlTokenKind.OpenParen)
                {
                    var close = Matching(j);
                    if (close < 0 || close >= end)
                    {
                        return end;
                    }

                    if (visit)
                    {
                        Query(j + 1, close);
                    }

                    j = close;
                }
                else if (Keyword(j) is SqlKeyword.Select or SqlKeyword.Values or SqlKeyword.Table or SqlKeyword.Insert
                         or SqlKeyword.Update or SqlKeyword.Delete or SqlKeyword.Merge && Kind(j) == SqlTokenKind.Word)
                {
                    return j;
                }
            }

            return end;
        }

        /// <summary>
        /// <c>INSERT INTO name [AS alias] [(cols)] [OVERRIDING … VALUE] {DEFAULT VALUES | VALUES … | query}
        /// [ON CONFLICT …] [RETURNING …]</c> within [insert, end).
        /// </summary>
        private void Insert(int insert, int end)
        {
            if (!Is(insert + 1, SqlKeyword.Into))
            {
                return;
            }

            var nameEnd = St.SkipQualifiedName(insert + 2);
            if (nameEnd == insert + 2)
            {
                return;
            }

            var table = St.NameText(insert + 2, nameEnd);
            if (_tables is null)
            {
                if (!Targets.Contains(table))
                {
                    Targets.Add(table);
                }

                return;
            }

            if (!_tables.TryGetValue(table, out var defaults) || !(defaults.Diverges || defaults.HasTimeColumns))
            {
                return;
            }

            var k = nameEnd;
            if (Is(k, SqlKeyword.As) && St.IsName(k + 1))
            {
                k += 2;
            }

            var targetEnd = _tokens[k - 1].End;
            List<string>? listed = null;
            var listClose = -1;
            if (Kind(k) == SqlTokenKind.OpenParen && !StartsQuery(k + 1))
            {
                listClose = Matching(k);
                listed = listClose < 0 || listClose >= end ? null : ColumnNames(k + 1, listClose);
                if (listed is null)
                {
                    return;
                }

                k = listClose + 1;
            }

            if (IsWord(k, "overriding"))
            {
                k += 3;
            }

            var bodyEnd = BodyEnd(k, end);
            var insertion = new Insertion(this, table, defaults, listed, listClose, targetEnd);
            if (Is(k, SqlKeyword.Default) && Is(k + 1, SqlKeyword.Values))
            {
                if (listed is null)
                {
                    insertion.DefaultValues(_tokens[k].Start, _tokens[k + 1].End);
                }
            }
            else if (Is(k, SqlKeyword.Values) && PlainValues(k, bodyEnd) is { } rows)
            {
                insertion.Values(rows);
            }
            else
            {
                insertion.Select(k, bodyEnd);
            }

            ConflictUpdate(bodyEnd, end, table, defaults);
        }

        private void Insert(int position, string text) => _edits.Add(new TextEdit(position, 0, text, []));

        private SqlTokenKind Kind(int i) => St.Kind(i);

        private SqlKeyword Keyword(int i) => St.Keyword(i);

        private bool Is(int i, SqlKeyword keyword) => (uint)i < (uint)Count && _tokens[i].Is(keyword);

        private bool IsWord(int i, string word) => Kind(i) == SqlTokenKind.Word
                                                   && St.TextOf(i).Equals(word, StringComparison.OrdinalIgnoreCase);

        private bool TextIs(int i, string text) => (uint)i < (uint)Count && St.TextOf(i).SequenceEqual(text);

        private int Matching(int open) => St.MatchingParen(open);
    }
}

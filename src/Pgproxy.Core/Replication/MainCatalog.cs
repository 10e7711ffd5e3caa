using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Pgproxy.Core.Determinism;
using Pgproxy.Core.Logging;
using Pgproxy.Core.Routing;
using Pgproxy.Protocol.Messages;

namespace Pgproxy.Core.Replication;

/// <summary>
/// What a session needs to know of main's catalog to make a write deterministic (DESIGN §4), read with
/// <see cref="CatalogQuery"/> and cached: tables' columns and the defaults a write leaves to the nodes (the rewrite
/// the others' copy of an INSERT or COPY needs), which tables <c>insert_lock</c> serialises, and the database's
/// functions by volatility. A session that changes the schema forgets what it and others cached.
/// </summary>
internal sealed partial class MainCatalog
{
    private readonly SessionLinks _nodes;
    private readonly ClientState _state;
    private readonly CatalogQuery _catalogQuery;
    private readonly ReplyReader _replies;
    private readonly RoutingPolicy _policy;
    private readonly string _database;

    /// <summary>The session's database.</summary>
    public string Database => _database;
    private readonly string _user;
    private readonly ILogger _logger;

    public MainCatalog(SessionLinks nodes, ClientState state, CatalogQuery catalogQuery, ReplyReader replies,
        RoutingPolicy policy, string database, string user, ILogger logger)
    {
        _nodes = nodes;
        _state = state;
        _catalogQuery = catalogQuery;
        _replies = replies;
        _policy = policy;
        _database = database;
        _user = user;
        _logger = logger;
    }

    /// <summary>
    /// What the other nodes' copy of a write needs for the defaults it leaves to the nodes (DESIGN §4): the
    /// INSERT rewrite, or the COPY plan. Looks the tables up in main's catalog the first time; call it before
    /// anything is injected for the statement.
    /// </summary>
    public async ValueTask<DefaultsPlan> PlanDefaultsAsync(StatementClassification statement, ReadOnlyMemory<byte> frame)
    {
        NoteSchemaChange(statement.FirstKeyword);
        if (statement.Kind == StatementKind.Read)
        {
            return default;
        }

        if (statement.Flags.HasFlag(StatementFlags.CopyFromStdin))
        {
            return new DefaultsPlan(null, await PlanCopyDefaultsAsync(statement, frame, isParse: false));
        }

        return new DefaultsPlan(await PlanInsertDefaultsAsync(statement, frame, isParse: false), null);
    }

    /// <summary>The refusal for a plan under <c>nondeterministic_write = error</c>, else null.</summary>
    public string? RefusedDefaults(in DefaultsPlan plan) => _policy.RefuseNondeterministic ? plan.Refusal : null;

    /// <summary>
    /// Tables with a sequence or identity default, per database and table name as written: what
    /// <c>insert_lock</c> must serialise. Read once per table from main's catalog.
    /// </summary>
    private static readonly ConcurrentDictionary<(string Database, string Table), bool> SequenceTables = new();

    /// <summary>Reads the database's functions by volatility from main (the first session of a database does it).</summary>
    public async Task<FunctionVolatilityMap?> LoadVolatileFunctionsAsync()
    {
        if (_state.Status == TransactionStatus.Failed)
        {
            return null; // main cannot run anything now; the caller treats unknown functions as writes.
        }

        // Taken before the reading: a forgetting by another session's DDL while it runs makes it too old to keep.
        var generation = _policy.Volatility.Generation(_database);
        var names = await _catalogQuery.RunAsync(_nodes.Main, FunctionVolatility.Query);
        return names is null ? null : _policy.Volatility.Store(_database, names, generation);
    }

    /// <summary>
    /// The table to lock for an INSERT under <c>insert_lock</c> (a table whose column default draws from a
    /// sequence, or an identity column), or null. pgpool's <c>/*NO INSERT LOCK*/</c> comment is not needed:
    /// tables without sequences are never locked.
    /// </summary>
    public async ValueTask<string?> InsertLockTableAsync(StatementClassification statement)
    {
        if (!_policy.InsertLock || statement.InsertTable is not { } table
                                || !statement.Flags.HasFlag(StatementFlags.Insert))
        {
            return null;
        }

        var key = (_database, table);
        if (!SequenceTables.TryGetValue(key, out var hasSequence))
        {
            if (_state.Status == TransactionStatus.Failed)
            {
                return null;
            }

            var literal = "'" + InjectedQueries.QuoteQualified(table).Replace("'", "''", StringComparison.Ordinal) + "'";
            var rows = await _catalogQuery.RunAsync(_nodes.Main,
                "SELECT count(*) FROM pg_catalog.pg_attribute a LEFT JOIN pg_catalog.pg_attrdef d " +
                "ON d.adrelid = a.attrelid AND d.adnum = a.attnum WHERE a.attrelid = pg_catalog.to_regclass(" + literal +
                ") AND a.attnum > 0 AND NOT a.attisdropped AND (a.attidentity <> '' OR " +
                "pg_catalog.pg_get_expr(d.adbin, d.adrelid) LIKE '%nextval(%')");
            hasSequence = rows is [var count] && count != "0";
            if (rows is not null)
            {
                SequenceTables[key] = hasSequence;
            }
        }

        return hasSequence ? table : null;
    }

    /// <summary>
    /// Whether an INSERT may take insert_lock's lock (<see cref="InsertLockTableAsync"/>), without asking main: false
    /// only for a table known to draw from no sequence.
    /// </summary>
    public bool MayLockInsert(StatementClassification statement) =>
        _policy.InsertLock && statement.InsertTable is { } table && statement.Flags.HasFlag(StatementFlags.Insert)
        && (!SequenceTables.TryGetValue((_database, table), out var hasSequence) || hasSequence);

    /// <summary>
    /// Tables' columns and defaults, per database, user (the default search_path starts with "$user") and table
    /// name as written: read once from main's catalog, forgotten when a session changes the schema.
    /// </summary>
    private static readonly ConcurrentDictionary<(string Database, string User, string Table), TableDefaults>
        TableDefaultsCache = new();

    /// <summary>Bumped whenever the cache is cleared: a statement's plan made before then is stale.</summary>
    private static int _tableDefaultsEpoch;

    /// <summary>Temporary tables: a name means this session's own table, so they are never shared.</summary>
    private readonly Dictionary<string, TableDefaults> _temporaryTables = new(StringComparer.Ordinal);

    /// <summary>
    /// The session ran CREATE/ALTER/DROP and has not been idle since: what it reads of the catalog inside its
    /// transaction may never commit, and what others cached may be outdated once it does.
    /// </summary>
    private bool _schemaChanged;

    /// <summary>
    /// The plan for a COPY FROM STDIN (a Query or a Parse message) that lists its columns and leaves out one whose
    /// default diverges; null when it leaves nothing to the nodes.
    /// </summary>
    public async ValueTask<CopyDefaultsPlan?> PlanCopyDefaultsAsync(StatementClassification statement,
        ReadOnlyMemory<byte> frame, bool isParse)
    {
        if (statement.CopyTable is not { } copyTable)
        {
            return null;
        }

        var text = OthersFrames.FrameText(frame.Span, isParse);
        if (!CopyDefaultsPlan.ListsColumns(text))
        {
            return null;
        }

        var table = await TableDefaultsAsync(copyTable);
        return table.Diverges ? CopyDefaultsPlan.Analyze(text, copyTable, table) : null;
    }

    /// <summary>
    /// The INSERT rewrite of a parsed statement, kept on it until the schema changes; returns the message to refuse
    /// its execution with, if any.
    /// </summary>
    public async ValueTask<string?> PlanPreparedDefaultsAsync(PreparedStatementInfo info)
    {
        NoteSchemaChange(info.Classification.FirstKeyword);
        var epoch = Volatile.Read(ref _tableDefaultsEpoch);
        if (info.DefaultsEpoch != epoch || _schemaChanged)
        {
            info.Defaults = await PlanInsertDefaultsAsync(info.Classification, info.ParseFrame, isParse: true);
            info.DefaultsEpoch = _schemaChanged ? -1 : epoch;
        }

        return _policy.RefuseNondeterministic ? info.Defaults?.Refusal : null;
    }

    private async ValueTask<DefaultsRewrite?> PlanInsertDefaultsAsync(StatementClassification statement,
        ReadOnlyMemory<byte> frame, bool isParse)
    {
        var tables = statement.InsertTables;
        string? text = null;
        // A date/time column matters only when the text may store an untyped 'now' (or 'today'…) into it: a cheap
        // look at the bytes keeps the walk off every other INSERT (pgbench_history has a timestamp) and UPDATE.
        // Likewise an UPDATE's table is looked up only when the text may set a column to DEFAULT.
        var sql = OthersFrames.SqlBytes(frame.Span, isParse);
        var timeWords = MayQuoteTimeWords(sql);
        var updates = timeWords || MayNameDefault(sql);
        if (updates || statement.FirstKeyword is "WITH" or "PREPARE")
        {
            text = OthersFrames.FrameText(frame.Span, isParse);
            tables = InsertDefaultsRewriter.Targets(text, withUpdates: updates);
        }

        Dictionary<string, TableDefaults>? diverging = null;
        foreach (var name in tables)
        {
            var table = await TableDefaultsAsync(name);
            if (table.Diverges || (table.HasTimeColumns && timeWords))
            {
                (diverging ??= new Dictionary<string, TableDefaults>(StringComparer.Ordinal))[name] = table;
            }
        }

        if (diverging is null)
        {
            return null;
        }

        var rewrite = InsertDefaultsRewriter.Analyze(text ?? OthersFrames.FrameText(frame.Span, isParse), diverging);
        return rewrite == DefaultsRewrite.None ? null : rewrite;
    }

    /// <summary>Whether the UTF-8 text has the word DEFAULT in any case: a cheap first look that allocates nothing.</summary>
    internal static bool MayNameDefault(ReadOnlySpan<byte> sql)
    {
        for (var d = sql.IndexOfAny((byte)'d', (byte)'D'); d >= 0; d = sql.IndexOfAny((byte)'d', (byte)'D'))
        {
            if (sql.Length - d >= 7 && System.Text.Ascii.EqualsIgnoreCase(sql.Slice(d, 7), "default"u8))
            {
                return true;
            }

            sql = sql[(d + 1)..];
        }

        return false;
    }

    private static readonly string[] TimeWords = ["now", "today", "tomorrow", "yesterday"];

    /// <summary>
    /// Whether a string literal in the UTF-8 text may be one of the special date/time inputs (a quote, blanks, then
    /// the word in any case): a cheap first look that allocates nothing.
    /// </summary>
    internal static bool MayQuoteTimeWords(ReadOnlySpan<byte> sql)
    {
        for (var quote = sql.IndexOf((byte)'\''); quote >= 0; quote = sql.IndexOf((byte)'\''))
        {
            sql = sql[(quote + 1)..];
            var word = sql.TrimStart(" \t\r\n"u8);
            foreach (var candidate in TimeWords)
            {
                if (word.Length >= candidate.Length
                    && System.Text.Ascii.EqualsIgnoreCase(word[..candidate.Length], candidate))
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>The columns of a table as main's catalog has them (<see cref="TableDefaults.Unknown"/> if it can't say).</summary>
    private async ValueTask<TableDefaults> TableDefaultsAsync(string table)
    {
        var key = (_database, _user, table);
        var fresh = _schemaChanged && _state.Status != TransactionStatus.Idle;
        if (!fresh && (_temporaryTables.TryGetValue(table, out var known) || TableDefaultsCache.TryGetValue(key, out known)))
        {
            return known;
        }

        var main = _nodes.Main;
        if (!_state.MayQuery(main))
        {
            // Main can run nothing now (the statement will fail there too), or is inside an unsynced pipeline.
            return TableDefaults.Unknown;
        }

        var rows = await _catalogQuery.RunAsync(main, TableDefaults.Query(table));
        if (rows is null)
        {
            return TableDefaults.Unknown;
        }

        TableDefaults defaults;
        try
        {
            defaults = TableDefaults.FromCatalog(rows);
        }
        catch (FormatException e)
        {
            _catalogQuery.ReportUnreadable(e.Message);
            return TableDefaults.Unknown;
        }

        if (!fresh && defaults != TableDefaults.Unknown)
        {
            if (defaults.Temporary)
            {
                _temporaryTables[table] = defaults;
            }
            else
            {
                TableDefaultsCache[key] = defaults;
            }
        }

        return defaults;
    }

    /// <summary>
    /// CREATE, ALTER or DROP may change any table's columns or defaults, and any function's volatility: forget them
    /// now and at the end.
    /// </summary>
    private void NoteSchemaChange(string? firstKeyword)
    {
        if (firstKeyword is "CREATE" or "ALTER" or "DROP")
        {
            _schemaChanged = true;
            ForgetTableDefaults();
            _policy.Volatility.Invalidate(_database);
        }
    }

    /// <summary>
    /// Called when a request is answered: once a session that changed the schema is out of its transaction, the
    /// change is committed (or gone), and what other sessions cached meanwhile is forgotten.
    /// </summary>
    public void OnRequestFinished()
    {
        if (_schemaChanged && _state.Status == TransactionStatus.Idle)
        {
            _schemaChanged = false;
            ForgetTableDefaults();
            // Another session may have read the functions between this DDL and its commit, without it.
            _policy.Volatility.Invalidate(_database);
        }
    }

    /// <summary>A statement changed functions: their volatility is read again.</summary>
    public void ForgetFunctions() => _policy.Volatility.Invalidate(_database);

    private void ForgetTableDefaults()
    {
        TableDefaultsCache.Clear();
        _temporaryTables.Clear();
        Interlocked.Increment(ref _tableDefaultsEpoch);
    }

    /// <summary>
    /// The appender for the others' COPY data, from main's values; null (the others then evaluate the defaults
    /// themselves) only if main's answer could not be read.
    /// </summary>
    public CopyRowAppender? CreateCopyAppender(CopyDefaultsPlan plan)
    {
        if (_replies.MainDefaults is { } json && plan.ParseValues(json) is { } values)
        {
            return plan.CreateAppender(values);
        }

        Log.DefaultValuesUnreadable(_logger, _replies.MainDefaults ?? "(none)");
        return null;
    }

    private static partial class Log
    {
        [LoggerMessage(EventIds.DefaultValuesUnreadable, LogLevel.Warning,
            "main's values of the defaults a COPY leaves out could not be read ({Answer}): the other nodes " +
            "evaluate them on their own")]
        public static partial void DefaultValuesUnreadable(ILogger logger, string answer);
    }
}

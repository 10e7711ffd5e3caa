using System.Collections.Concurrent;
using System.Text;
using Pgproxy.Core.Determinism;
using Pgproxy.Core.Routing;
using Pgproxy.Protocol.Frontend;
using Pgproxy.Protocol.Messages;

namespace Pgproxy.Core.Replication;

internal sealed partial class ReplicationSession
{
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
    /// What the other nodes' copy of a write needs for the defaults it leaves to the nodes (DESIGN §4): the
    /// INSERT rewrite, or the COPY plan. Looks the tables up in main's catalog the first time; call it before
    /// anything is injected for the statement.
    /// </summary>
    private async ValueTask<DefaultsPlan> PlanDefaultsAsync(StatementClassification statement, ReadOnlyMemory<byte> frame)
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

    /// <summary>
    /// The plan for a COPY FROM STDIN (a Query or a Parse message) that lists its columns and leaves out one whose
    /// default diverges; null when it leaves nothing to the nodes.
    /// </summary>
    private async ValueTask<CopyDefaultsPlan?> PlanCopyDefaultsAsync(StatementClassification statement,
        ReadOnlyMemory<byte> frame, bool isParse)
    {
        if (statement.CopyTable is not { } copyTable)
        {
            return null;
        }

        var text = FrameText(frame.Span, isParse);
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
    private async ValueTask<string?> PlanPreparedDefaultsAsync(PreparedStatementInfo info)
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
        if (statement.FirstKeyword is "WITH" or "PREPARE")
        {
            text = FrameText(frame.Span, isParse);
            tables = InsertDefaultsRewriter.Targets(text);
        }

        Dictionary<string, TableDefaults>? diverging = null;
        bool? timeWords = null;
        foreach (var name in tables)
        {
            var table = await TableDefaultsAsync(name);
            // A date/time column matters only when the text may store an untyped 'now' (or 'today'…) into it: a
            // cheap look at the text keeps the walk off every other INSERT (pgbench_history has a timestamp).
            if (table.Diverges
                || (table.HasTimeColumns && (timeWords ??= MayHoldTimeWords(text ??= FrameText(frame.Span, isParse)))))
            {
                (diverging ??= new Dictionary<string, TableDefaults>(StringComparer.Ordinal))[name] = table;
            }
        }

        if (diverging is null)
        {
            return null;
        }

        var rewrite = InsertDefaultsRewriter.Analyze(text ?? FrameText(frame.Span, isParse), diverging);
        return rewrite == DefaultsRewrite.None ? null : rewrite;
    }

    /// <summary>Whether the text has a word an untyped special date/time input could be: a cheap first look.</summary>
    private static bool MayHoldTimeWords(string text) =>
        text.Contains("now", StringComparison.OrdinalIgnoreCase) || text.Contains("today", StringComparison.OrdinalIgnoreCase)
        || text.Contains("tomorrow", StringComparison.OrdinalIgnoreCase)
        || text.Contains("yesterday", StringComparison.OrdinalIgnoreCase);

    /// <summary>The columns of a table as main's catalog has them (<see cref="TableDefaults.Unknown"/> if it can't say).</summary>
    private async ValueTask<TableDefaults> TableDefaultsAsync(string table)
    {
        var key = (_session.Database, _session.User, table);
        var fresh = _schemaChanged && _clientStatus != TransactionStatus.Idle;
        if (!fresh && (_temporaryTables.TryGetValue(table, out var known) || TableDefaultsCache.TryGetValue(key, out known)))
        {
            return known;
        }

        var main = Main;
        if (_clientStatus == TransactionStatus.Failed || (_unsyncedMask & main.Bit) != 0)
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
            _policy.Volatility.Invalidate(_session.Database);
        }
    }

    /// <summary>
    /// Called when a request is answered: once a session that changed the schema is out of its transaction, the
    /// change is committed (or gone), and what other sessions cached meanwhile is forgotten.
    /// </summary>
    private void OnRequestFinished()
    {
        if (_schemaChanged && _clientStatus == TransactionStatus.Idle)
        {
            _schemaChanged = false;
            ForgetTableDefaults();
            // Another session may have read the functions between this DDL and its commit, without it.
            _policy.Volatility.Invalidate(_session.Database);
        }
    }

    private void ForgetTableDefaults()
    {
        TableDefaultsCache.Clear();
        _temporaryTables.Clear();
        Interlocked.Increment(ref _tableDefaultsEpoch);
    }

    /// <summary>The text for the other nodes: main's timestamp for time functions and for defaults left out.</summary>
    private static string RewriteForOthers(string sql, IReadOnlyList<TimeFunctionSpan> spans, DefaultsRewrite? defaults,
        string? mainNow, IReadOnlyList<RestoredDefault> restores)
    {
        if (restores.Count > 0)
        {
            // Several ALTER TABLE restores at one place keep their order: insertions at equal offsets append.
            sql = TimestampRewriter.RestoreDefaults(sql, spans, restores, out spans);
        }

        return defaults is null
            ? TimestampRewriter.Rewrite(sql, spans, mainNow!)
            : defaults.Render(sql, spans, mainNow);
    }

    /// <summary>The refusal for a plan under <c>nondeterministic_write = error</c>, else null.</summary>
    private string? RefusedDefaults(in DefaultsPlan plan) => _policy.RefuseNondeterministic ? plan.Refusal : null;

    /// <summary>
    /// The appender for the others' COPY data, from main's values; null (the others then evaluate the defaults
    /// themselves) only if main's answer could not be read.
    /// </summary>
    private CopyRowAppender? CreateCopyAppender(CopyDefaultsPlan plan)
    {
        if (_replies.MainDefaults is { } json && plan.ParseValues(json) is { } values)
        {
            return plan.CreateAppender(values);
        }

        Log.DefaultValuesUnreadable(_logger, _replies.MainDefaults ?? "(none)");
        return null;
    }

    /// <summary>The SQL of a Query message, or of a Parse message (after the statement name).</summary>
    private static string FrameText(ReadOnlySpan<byte> frame, bool isParse)
    {
        if (!isParse)
        {
            return Encoding.UTF8.GetString(QueryText(frame));
        }

        return Encoding.UTF8.GetString(ParseMessage.Read(frame[5..]).Query);
    }

    /// <summary>What a write needs for its defaults: an INSERT rewrite, or a COPY plan.</summary>
    private readonly record struct DefaultsPlan(DefaultsRewrite? Insert, CopyDefaultsPlan? Copy)
    {
        public string? Refusal => Insert?.Refusal ?? Copy?.Refusal;

        public bool NeedsNow => Insert?.NeedsNow == true;

        /// <summary>The COPY plan when there are values to append (nothing to do under a bare refusal).</summary>
        public CopyDefaultsPlan? CopyToRewrite => Copy is { Columns.Count: > 0 } copy ? copy : null;
    }
}

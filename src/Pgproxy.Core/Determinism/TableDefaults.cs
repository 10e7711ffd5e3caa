using System.Text.Json;
using Pgproxy.Core.Routing;

namespace Pgproxy.Core.Determinism;

/// <summary>
/// A table's columns in order and what each one's default means for replication (DESIGN §4): read once from
/// main's catalog, so that an INSERT or COPY that leaves a time-based default to the nodes can carry main's
/// value to the others instead, and one that leaves a volatile default to them can be refused.
/// </summary>
internal sealed class TableDefaults
{
    /// <summary>Nothing known about the table (it does not exist, or the catalog could not be read).</summary>
    public static readonly TableDefaults Unknown = new([], temporary: false);

    private TableDefaults(IReadOnlyList<TableColumn> columns, bool temporary)
    {
        Columns = columns;
        Temporary = temporary;
        foreach (var column in columns)
        {
            Diverges |= column.Diverges;
            HasTimeColumns |= column.IsTime;
        }
    }

    /// <summary>Every column that is not dropped, in table order (generated ones included).</summary>
    public IReadOnlyList<TableColumn> Columns { get; }

    /// <summary>A temporary table: the name means a different table in every session.</summary>
    public bool Temporary { get; }

    /// <summary>Some column has a time-based or volatile default.</summary>
    public bool Diverges { get; }

    /// <summary>Some column has a date/time type (see <see cref="TableColumn.IsTime"/>).</summary>
    public bool HasTimeColumns { get; }

    public TableColumn? Find(string name)
    {
        foreach (var column in Columns)
        {
            if (column.Name == name)
            {
                return column;
            }
        }

        return null;
    }

    /// <summary>
    /// The catalog query for <paramref name="table"/> (as the classifier names it): one row per column, its
    /// first field a JSON array of name, type, default expression (the column's, else its domain's), whether
    /// it is generated or identity, the volatile functions the default calls (found in the stored expression
    /// tree, operators' functions included), and the table's persistence.
    /// </summary>
    public static string Query(string table)
    {
        var quoted = string.Join('.', table.Split('.').Select(p => "\"" + p.Replace("\"", "\"\"", StringComparison.Ordinal) + "\""));
        var literal = "'" + quoted.Replace("'", "''", StringComparison.Ordinal) + "'";
        return
            "SELECT pg_catalog.json_build_array(a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod), " +
            "pg_catalog.pg_get_expr(x.bin, a.attrelid), a.attgenerated <> '' OR a.attidentity <> '', " +
            "(SELECT pg_catalog.string_agg(DISTINCT p.proname, ',') FROM pg_catalog.pg_proc p " +
            "WHERE p.provolatile = 'v' AND p.oid::text IN (SELECT (pg_catalog.regexp_matches(x.bin::text, " +
            "':(?:op)?funcid ([0-9]+)', 'g'))[1])), c.relpersistence)::text " +
            "FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid " +
            "LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum " +
            "LEFT JOIN pg_catalog.pg_type t ON t.oid = a.atttypid AND t.typtype = 'd' " +
            "CROSS JOIN LATERAL (SELECT COALESCE(d.adbin, t.typdefaultbin) AS bin) x " +
            "WHERE a.attrelid = pg_catalog.to_regclass(" + literal + ") AND a.attnum > 0 AND NOT a.attisdropped " +
            "ORDER BY a.attnum";
    }

    /// <summary>Builds the table from the rows of <see cref="Query"/>; no rows means the table is unknown.</summary>
    /// <exception cref="FormatException">A row is not what the query produces.</exception>
    public static TableDefaults FromCatalog(IReadOnlyList<string> rows)
    {
        if (rows.Count == 0)
        {
            return Unknown;
        }

        var columns = new TableColumn[rows.Count];
        var temporary = false;
        for (var i = 0; i < rows.Count; i++)
        {
            try
            {
                using var json = JsonDocument.Parse(rows[i]);
                var row = json.RootElement;
                columns[i] = Column(row[0].GetString()!, row[1].GetString()!, row[2].GetString(), row[3].GetBoolean(),
                    row[4].GetString());
                temporary |= row[5].GetString() == "t";
            }
            catch (Exception e) when (e is JsonException or InvalidOperationException or IndexOutOfRangeException
                                          or ArgumentException)
            {
                throw new FormatException($"unexpected catalog row for a table's columns: {rows[i]}", e);
            }
        }

        return new TableDefaults(columns, temporary);
    }

    /// <summary>
    /// Classifies one column's default: volatile when it calls a volatile function other than the sequence
    /// functions (a sequence is <c>insert_lock</c>'s business) or one that differs per node (statement_timestamp() is only
    /// stable); time-based when it reads the transaction's time; otherwise the same on every node.
    /// </summary>
    public static TableColumn Column(string name, string type, string? expression, bool generatedOrIdentity,
        string? volatileFunctions)
    {
        if (expression is null || generatedOrIdentity)
        {
            return new TableColumn(name, type, ColumnDefaultKind.Same, expression, [], null);
        }

        foreach (var function in (volatileFunctions ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            // The sequence functions read or move the sequence, which insert_lock keeps in step; currval() and
            // lastval() read the session's own last draw, which every node made alike (constraints' DEFAULT
            // -1 * currval('insert_seq') was refused though harmless, issue 16 item 15).
            if (function is not ("nextval" or "currval" or "lastval" or "setval"))
            {
                return new TableColumn(name, type, ColumnDefaultKind.Volatile, expression, [], function);
            }
        }

        const string Prefix = "SELECT ";
        var classification = StatementClassifier.Classify(Prefix + expression);
        foreach (var function in classification.FunctionNames)
        {
            if (NondeterministicFunctions.Contains(function))
            {
                return new TableColumn(name, type, ColumnDefaultKind.Volatile, expression, [], function);
            }
        }

        var spans = new List<TimeFunctionSpan>();
        foreach (var span in classification.TimeFunctions)
        {
            spans.Add(span with { Start = span.Start - Prefix.Length });
        }

        AddNowStrings(expression, type, spans);
        return spans.Count == 0
            ? new TableColumn(name, type, ColumnDefaultKind.Same, expression, [], null)
            : new TableColumn(name, type, ColumnDefaultKind.TransactionTime, expression, spans, null);
    }

    /// <summary>
    /// A <c>'now'</c> (or 'today'…) string the classifier does not see as a time value, because it reaches the type
    /// through another cast (<c>('now'::text)::timestamp with time zone</c>), is still read when the row is
    /// inserted — unless the column holds text, where it stays the word.
    /// </summary>
    private static void AddNowStrings(string expression, string type, List<TimeFunctionSpan> spans)
    {
        if (IsTextType(type))
        {
            return;
        }

        var lexer = new SqlLexer(expression);
        var added = false;
        while (lexer.Next(out var token))
        {
            if (token.Kind != SqlTokenKind.String || spans.Exists(s => s.Start == token.Start))
            {
                continue;
            }

            var kind = CallScanner.SpecialTimeInput(
                StatementParser.StringContent(expression.AsSpan(token.Start, token.Length)));
            if (kind is { } found)
            {
                spans.Add(new TimeFunctionSpan(token.Start, token.Length, found, -1));
                added = true;
            }
        }

        if (added)
        {
            spans.Sort((a, b) => a.Start.CompareTo(b.Start));
        }
    }

    /// <summary>Types whose default 'now' is the word itself (as <c>format_type</c> writes them).</summary>
    private static bool IsTextType(string type) => type is "text" or "name" or "citext" or "\"char\""
        || type.StartsWith("character", StringComparison.Ordinal);
}

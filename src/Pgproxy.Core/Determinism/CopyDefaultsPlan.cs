using System.Text;
using System.Text.Json;
using Pgproxy.Core.Routing;

namespace Pgproxy.Core.Determinism;

/// <summary>
/// What <c>COPY t (cols) FROM STDIN</c> needs when its column list leaves out a column whose default would
/// differ between nodes (DESIGN §4): main evaluates the defaults once, in the COPY's own transaction
/// (<see cref="ValuesQuery"/>), and the other nodes get the column added to their COPY's list and main's value
/// appended to every row (<see cref="CreateAppender"/>). Binary data cannot be rewritten, and a volatile default
/// has no single value: those are refused.
/// </summary>
internal sealed class CopyDefaultsPlan
{
    private readonly bool _csv;
    private readonly byte _delimiter;
    private readonly byte _quote;
    private readonly byte _escape;
    private readonly string _null;
    private readonly bool _header;

    private CopyDefaultsPlan(string? refusal, DefaultsRewrite statement, IReadOnlyList<TableColumn> columns,
        CopyOptions options)
    {
        Refusal = refusal;
        Statement = statement;
        Columns = columns;
        _csv = options.Csv;
        _delimiter = options.Delimiter;
        _quote = options.Quote;
        _escape = options.Escape;
        _null = options.Null;
        _header = options.Header;
        ValuesQuery = "SELECT pg_catalog.json_build_array(" + string.Join(", ",
            columns.Select(c => "CAST((" + c.Expression + ") AS " + c.Type + ")::text")) + ")::text";
    }

    /// <summary>The message for the client when the COPY must be refused; null when the plan can be carried out.</summary>
    public string? Refusal { get; }

    /// <summary>The edit that adds the columns to the others' COPY column list.</summary>
    public DefaultsRewrite Statement { get; }

    /// <summary>The columns whose values are appended to every row, in order.</summary>
    public IReadOnlyList<TableColumn> Columns { get; }

    /// <summary>
    /// Main's values of the defaults, each cast to its column's type and written as text, as one JSON array.
    /// </summary>
    public string ValuesQuery { get; }

    /// <summary>
    /// The plan for <paramref name="sql"/>, a <c>COPY … FROM STDIN</c> into <paramref name="table"/> (named
    /// <paramref name="tableName"/> in messages); null when it needs nothing (no column list, nothing diverging
    /// left out, or a statement PostgreSQL will reject).
    /// </summary>
    public static CopyDefaultsPlan? Analyze(string sql, string tableName, TableDefaults table)
    {
        ArgumentNullException.ThrowIfNull(sql);
        ArgumentNullException.ThrowIfNull(table);
        if (!table.Diverges)
        {
            return null;
        }

        var tokens = Tokenize(sql);
        if (tokens is null)
        {
            return null;
        }

        var st = new StatementTokens(tokens, sql);
        var j = st.Is(1, SqlKeyword.Binary) ? 2 : 1;
        var binary = j == 2;
        var nameEnd = st.SkipQualifiedName(j);
        if (!st.Is(0, SqlKeyword.Copy) || nameEnd == j || !st.Is(nameEnd, SqlTokenKind.OpenParen))
        {
            return null;
        }

        var close = st.MatchingParen(nameEnd);
        var listed = new List<string>();
        for (var i = nameEnd + 1; i < close; i++)
        {
            if (st.IsName(i))
            {
                listed.Add(st.NamePart(i));
            }
        }

        if (close < 0 || !st.Is(close + 1, SqlKeyword.From) || !st.Is(close + 2, SqlKeyword.Stdin))
        {
            return null;
        }

        var options = CopyOptions.Parse(st, close + 3, binary);
        var columns = ColumnsToAppend(table, listed, options, tableName, out var refusal);
        if (columns.Count == 0 && refusal is null)
        {
            return null;
        }

        var added = (listed.Count > 0 ? ", " : "") + string.Join(", ", columns.Select(c => c.QuotedName));
        var edit = columns.Count == 0
            ? DefaultsRewrite.None
            : new DefaultsRewrite([new TextEdit(tokens[close].Start, 0, added, [])], null);
        return new CopyDefaultsPlan(refusal, edit, columns, options ?? CopyOptions.Text);
    }

    /// <summary>
    /// True when <paramref name="sql"/> is <c>COPY [BINARY] table (columns) …</c>: only a column list can leave a
    /// column out (without one, every column but generated ones gets data), so only then is the table looked up.
    /// </summary>
    public static bool ListsColumns(string sql)
    {
        // COPY BINARY a.b.c ( is at most 8 tokens.
        Span<SqlToken> tokens = stackalloc SqlToken[8];
        var count = 0;
        var lexer = new SqlLexer(sql);
        while (count < tokens.Length && lexer.Next(out var token))
        {
            tokens[count++] = token;
        }

        var st = new StatementTokens(tokens[..count], sql);
        var name = st.Is(1, SqlKeyword.Binary) ? 2 : 1;
        var end = st.SkipQualifiedName(name);
        return st.Is(0, SqlKeyword.Copy) && end > name && st.Is(end, SqlTokenKind.OpenParen);
    }

    /// <summary>
    /// The values <see cref="ValuesQuery"/> returned (its JSON array), or null when it is not what the query
    /// produces.
    /// </summary>
    public IReadOnlyList<string?>? ParseValues(string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            var array = document.RootElement;
            if (array.ValueKind != JsonValueKind.Array || array.GetArrayLength() != Columns.Count)
            {
                return null;
            }

            return [.. array.EnumerateArray().Select(v => v.ValueKind == JsonValueKind.Null ? null : v.GetString())];
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>An appender that adds <paramref name="values"/> (main's, in column order) to every row.</summary>
    public CopyRowAppender CreateAppender(IReadOnlyList<string?> values)
    {
        var row = new StringBuilder();
        var header = new StringBuilder();
        for (var i = 0; i < Columns.Count; i++)
        {
            row.Append((char)_delimiter).Append(values[i] is { } value ? Field(value) : _null);
            header.Append((char)_delimiter).Append(Field(Columns[i].Name));
        }

        return new CopyRowAppender(_csv, _quote, _escape, Encoding.UTF8.GetBytes(row.ToString()),
            _header ? Encoding.UTF8.GetBytes(header.ToString()) : null);
    }

    /// <summary>A field as COPY reads it back: quoted in CSV, backslash-escaped in text.</summary>
    private string Field(string value)
    {
        var field = new StringBuilder(value.Length + 2);
        if (_csv)
        {
            field.Append((char)_quote);
            foreach (var c in value)
            {
                if (c == _quote || (c == _escape && _escape != _quote))
                {
                    field.Append((char)_escape);
                }

                field.Append(c);
            }

            return field.Append((char)_quote).ToString();
        }

        foreach (var c in value)
        {
            _ = c switch
            {
                '\\' => field.Append(@"\\"),
                '\n' => field.Append(@"\n"),
                '\r' => field.Append(@"\r"),
                _ when c == _delimiter => field.Append('\\').Append(c),
                _ => field.Append(c),
            };
        }

        return field.ToString();
    }

    /// <summary>
    /// The diverging columns the COPY leaves to their default and main can fill in for the others.
    /// <paramref name="refusal"/> is the first reason the COPY cannot go ahead (a volatile default, options
    /// pgproxy cannot read, binary format, or DEFAULT markers into a listed column), else null.
    /// </summary>
    private static List<TableColumn> ColumnsToAppend(TableDefaults table, List<string> listed, CopyOptions? options,
        string tableName, out string? refusal)
    {
        refusal = null;
        var columns = new List<TableColumn>();
        foreach (var column in table.Columns)
        {
            if (!column.Diverges)
            {
                continue;
            }

            if (listed.Contains(column.Name))
            {
                if (options is { HasDefaultMarker: true })
                {
                    refusal ??= $"pgproxy refuses COPY … FROM STDIN with the DEFAULT option into column " +
                                $"\"{column.Name}\" of {tableName}, whose default {column.Expression} would differ " +
                                "between nodes (nondeterministic_write = error)";
                }

                continue;
            }

            if (column.Kind == ColumnDefaultKind.Volatile)
            {
                refusal ??= $"pgproxy refuses COPY … FROM STDIN that leaves column \"{column.Name}\" of " +
                            $"{tableName} to its default, which calls {column.Function}(): its value would differ " +
                            "between nodes (nondeterministic_write = error)";
            }
            else if (options is null)
            {
                refusal ??= $"pgproxy cannot read the options of this COPY … FROM STDIN, which leaves column " +
                            $"\"{column.Name}\" of {tableName} to its default {column.Expression}: it would differ " +
                            "between nodes; write the options plainly (nondeterministic_write = error)";
            }
            else if (options.Binary)
            {
                refusal ??= $"pgproxy refuses COPY … FROM STDIN in binary format that leaves column " +
                            $"\"{column.Name}\" of {tableName} to its default {column.Expression}, which would " +
                            "differ between nodes: list the column, or use text or CSV format " +
                            "(nondeterministic_write = error)";
            }
            else
            {
                columns.Add(column);
            }
        }

        return columns;
    }

    private static SqlToken[]? Tokenize(string sql)
    {
        var tokens = new List<SqlToken>();
        var lexer = new SqlLexer(sql);
        while (lexer.Next(out var token))
        {
            if (token.Kind == SqlTokenKind.Unterminated)
            {
                return null;
            }

            if (token.Kind == SqlTokenKind.Semicolon)
            {
                break;
            }

            tokens.Add(token);
        }

        return [.. tokens];
    }
}

using Pgproxy.Core.Routing;

namespace Pgproxy.Core.Determinism;

/// <summary>
/// One column of a table as main's catalog describes it, with what its default means for replication.
/// </summary>
internal sealed class TableColumn
{
    public TableColumn(string name, string type, ColumnDefaultKind kind, string? expression,
        IReadOnlyList<TimeFunctionSpan> timeFunctions, string? function)
    {
        Name = name;
        Type = type;
        Kind = kind;
        Expression = expression;
        TimeFunctions = timeFunctions;
        Function = function;
        QuotedName = "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
        IsTime = type.StartsWith("time", StringComparison.Ordinal) || type == "date";
    }

    /// <summary>The column name as stored (<c>attname</c>).</summary>
    public string Name { get; }

    /// <summary>The name as a quoted identifier, safe to write into SQL.</summary>
    public string QuotedName { get; }

    /// <summary>The type as <c>format_type</c> writes it (<c>timestamp(0) without time zone</c>).</summary>
    public string Type { get; }

    /// <summary>
    /// A date/time type (time…, timestamp…, date, as <c>format_type</c> spells the built-in ones; a domain over one
    /// is not seen): an untyped <c>'now'</c> stored into it reads the transaction's time.
    /// </summary>
    public bool IsTime { get; }

    public ColumnDefaultKind Kind { get; }

    /// <summary>The default expression as <c>pg_get_expr</c> writes it; null when there is none.</summary>
    public string? Expression { get; }

    /// <summary>The current-time expressions in <see cref="Expression"/>, in text order.</summary>
    public IReadOnlyList<TimeFunctionSpan> TimeFunctions { get; }

    /// <summary>For a <see cref="ColumnDefaultKind.Volatile"/> default: the function that makes it so.</summary>
    public string? Function { get; }

    /// <summary>True when leaving the column to its default would make the nodes differ.</summary>
    public bool Diverges => Kind != ColumnDefaultKind.Same;
}

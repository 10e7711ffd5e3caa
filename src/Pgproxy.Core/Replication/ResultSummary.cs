using System.Text;

namespace Pgproxy.Core.Replication;

/// <summary>
/// What one node answered to a replicated statement, reduced to what must agree between nodes: the sequence
/// of CommandComplete tags (with their row counts), error SQLSTATEs and COPY starts. DataRows are never
/// compared (pgpool does not either). One instance per node link, cleared per statement, so recording
/// allocates nothing once warm.
/// </summary>
internal sealed class ResultSummary
{
    private readonly StringBuilder _text = new();

    /// <summary>True when the node reported an error.</summary>
    public bool HasError { get; private set; }

    /// <summary>SQLSTATE of the first error, for logs and the client's error.</summary>
    public string? ErrorState { get; private set; }

    public string? ErrorMessage { get; private set; }

    public void Clear()
    {
        _text.Clear();
        HasError = false;
        RolledBack = false;
        ErrorState = null;
        ErrorMessage = null;
    }

    /// <summary>Makes this a copy of <paramref name="other"/> (no allocation once warm).</summary>
    public void CopyFrom(ResultSummary other)
    {
        _text.Clear().Append(other._text);
        HasError = other.HasError;
        RolledBack = other.RolledBack;
        ErrorState = other.ErrorState;
        ErrorMessage = other.ErrorMessage;
    }

    public void AddCommandComplete(ReadOnlySpan<byte> tag)
    {
        RolledBack |= tag.SequenceEqual("ROLLBACK"u8);
        _text.Append("C:");
        foreach (var b in tag)
        {
            _text.Append((char)b);
        }

        _text.Append("; ");
    }

    public void AddError(string sqlState, string message)
    {
        if (!HasError)
        {
            HasError = true;
            ErrorState = sqlState;
            ErrorMessage = message;
        }

        _text.Append("E:").Append(sqlState).Append("; ");
    }

    public void AddKind(char kind) => _text.Append(kind).Append("; ");

    /// <summary>
    /// True when a CommandComplete said <c>ROLLBACK</c>: PostgreSQL's answer, without an error, to a COMMIT of a
    /// transaction that had already failed. Noted as the tag is added: read at every two-phase COMMIT.
    /// </summary>
    public bool RolledBack { get; private set; }

    /// <summary>
    /// True when the <paramref name="entry"/>-th answer recorded (one per Execute, counted from 0) is an UPDATE, DELETE
    /// or MERGE that changed no row.
    /// </summary>
    public bool ChangedNoRows(int entry)
    {
        if (entry < 0)
        {
            return false;
        }

        var parts = _text.ToString().Split("; ");
        return entry < parts.Length && parts[entry] is var part
               && (part.StartsWith("C:UPDATE ", StringComparison.Ordinal)
                   || part.StartsWith("C:DELETE ", StringComparison.Ordinal)
                   || part.StartsWith("C:MERGE ", StringComparison.Ordinal))
               && part.EndsWith(" 0", StringComparison.Ordinal);
    }

    /// <summary>True when both nodes answered alike.</summary>
    public bool SameAs(ResultSummary other) => _text.Equals(other._text);

    /// <summary>True when the two differ only in CommandComplete row counts (same tags, same errors).</summary>
    public bool DiffersOnlyInRowCounts(ResultSummary other) =>
        !HasError && !other.HasError && !SameAs(other) && StripCounts(_text.ToString()) == StripCounts(other._text.ToString());

    public override string ToString() => _text.Length == 0 ? "(nothing)" : _text.ToString().TrimEnd(' ', ';');

    private static string StripCounts(string text)
    {
        var builder = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            if (!char.IsAsciiDigit(c))
            {
                builder.Append(c);
            }
        }

        return builder.ToString();
    }
}

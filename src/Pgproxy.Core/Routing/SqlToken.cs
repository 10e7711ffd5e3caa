namespace Pgproxy.Core.Routing;

/// <summary>One token: a slice of the query text, its class and, for words, which keyword it is.</summary>
internal readonly record struct SqlToken(SqlTokenKind Kind, SqlKeyword Keyword, int Start, int Length)
{
    public int End => Start + Length;

    /// <summary>True for an unquoted word that is the given keyword.</summary>
    public bool Is(SqlKeyword keyword) => Keyword == keyword && Kind == SqlTokenKind.Word;
}

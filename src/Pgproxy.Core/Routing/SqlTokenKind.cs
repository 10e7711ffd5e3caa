namespace Pgproxy.Core.Routing;

/// <summary>The lexical class of a <see cref="SqlToken"/>. Whitespace and comments produce no token.</summary>
internal enum SqlTokenKind : byte
{
    /// <summary>An unquoted identifier or keyword (<see cref="SqlToken.Keyword"/> tells which keyword).</summary>
    Word,

    /// <summary><c>"a""b"</c> or <c>U&amp;"…"</c>.</summary>
    QuotedIdentifier,

    /// <summary><c>'…'</c>, <c>N'…'</c>, <c>U&amp;'…'</c>: standard-conforming, <c>''</c> doubles a quote.</summary>
    String,

    /// <summary><c>E'…'</c>: backslash escapes.</summary>
    EscapeString,

    /// <summary><c>B'…'</c> or <c>X'…'</c>.</summary>
    BitString,

    /// <summary><c>$$…$$</c> or <c>$tag$…$tag$</c>.</summary>
    DollarString,

    Number,

    /// <summary><c>$1</c>, <c>$2</c>…</summary>
    Parameter,

    /// <summary>A run of operator characters (<c>=</c>, <c>&lt;&gt;</c>, <c>||</c>, <c>-&gt;&gt;</c>…).</summary>
    Operator,

    OpenParen,
    CloseParen,
    OpenBracket,
    CloseBracket,
    Comma,
    Semicolon,
    Dot,

    /// <summary><c>::</c>, the cast operator.</summary>
    DoubleColon,

    /// <summary>Any other character (<c>:</c>, <c>\</c>, <c>{</c>…), one per token.</summary>
    Other,

    /// <summary>
    /// A string, quoted identifier, dollar-quoted body or comment that never ends. Always the last token.
    /// </summary>
    Unterminated,
}

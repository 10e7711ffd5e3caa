namespace Pgproxy.Core.Routing;

/// <summary>
/// Splits SQL text into <see cref="SqlToken"/>s the way PostgreSQL's scanner does (standard_conforming_strings
/// on), so that nothing inside a string, comment, quoted identifier or dollar-quoted body is ever taken for a
/// keyword or a statement boundary. Whitespace and comments produce no token. Allocation-free.
/// </summary>
internal ref struct SqlLexer
{
    private readonly ReadOnlySpan<char> _text;
    private int _pos;

    public SqlLexer(ReadOnlySpan<char> text) => _text = text;

    /// <summary>
    /// Reads the next token; false at the end of the text. An unterminated string, identifier, body or comment
    /// yields one <see cref="SqlTokenKind.Unterminated"/> token that runs to the end of the text.
    /// </summary>
    public bool Next(out SqlToken token)
    {
        if (!SkipSpaceAndComments())
        {
            token = new SqlToken(SqlTokenKind.Unterminated, SqlKeyword.None, _pos, _text.Length - _pos);
            _pos = _text.Length;
            return true;
        }

        if (_pos >= _text.Length)
        {
            token = default;
            return false;
        }

        var start = _pos;
        var c = _text[_pos];
        var kind = c switch
        {
            '(' => Single(SqlTokenKind.OpenParen),
            ')' => Single(SqlTokenKind.CloseParen),
            '[' => Single(SqlTokenKind.OpenBracket),
            ']' => Single(SqlTokenKind.CloseBracket),
            ',' => Single(SqlTokenKind.Comma),
            ';' => Single(SqlTokenKind.Semicolon),
            ':' => Colon(),
            '\'' => QuotedString(escapes: false, SqlTokenKind.String),
            '"' => QuotedIdentifier(),
            '$' => Dollar(),
            >= '0' and <= '9' => Number(),
            '.' => Peek(1) is >= '0' and <= '9' ? Number() : Single(SqlTokenKind.Dot),
            _ when IsIdentifierStart(c) => WordOrPrefixedString(c),
            _ when IsOperatorChar(c) => Operator(),
            _ => Single(SqlTokenKind.Other),
        };

        var keyword = kind == SqlTokenKind.Word ? SqlKeywords.Find(_text[start.._pos]) : SqlKeyword.None;
        token = new SqlToken(kind, keyword, start, _pos - start);
        if (kind == SqlTokenKind.Unterminated)
        {
            token = token with { Length = _text.Length - start };
            _pos = _text.Length;
        }

        return true;
    }

    /// <summary>
    /// Skips whitespace and comments; false (at the comment's start) when a block comment never ends.
    /// </summary>
    private bool SkipSpaceAndComments()
    {
        while (_pos < _text.Length)
        {
            var c = _text[_pos];
            if (c is ' ' or '\t' or '\n' or '\r' or '\f' or '\v')
            {
                _pos++;
            }
            else if (c == '-' && Peek(1) == '-')
            {
                var newline = _text[_pos..].IndexOfAny('\n', '\r');
                _pos = newline < 0 ? _text.Length : _pos + newline;
            }
            else if (c == '/' && Peek(1) == '*')
            {
                var commentStart = _pos;
                if (!SkipBlockComment())
                {
                    _pos = commentStart;
                    return false;
                }
            }
            else
            {
                break;
            }
        }

        return true;
    }

    /// <summary>Block comments nest in PostgreSQL: <c>/* a /* b */ still comment */</c>.</summary>
    private bool SkipBlockComment()
    {
        var depth = 0;
        while (_pos < _text.Length - 1)
        {
            if (_text[_pos] == '/' && _text[_pos + 1] == '*')
            {
                depth++;
                _pos += 2;
            }
            else if (_text[_pos] == '*' && _text[_pos + 1] == '/')
            {
                _pos += 2;
                if (--depth == 0)
                {
                    return true;
                }
            }
            else
            {
                _pos++;
            }
        }

        return false;
    }

    private SqlTokenKind Single(SqlTokenKind kind)
    {
        _pos++;
        return kind;
    }

    private SqlTokenKind Colon()
    {
        if (Peek(1) == ':')
        {
            _pos += 2;
            return SqlTokenKind.DoubleColon;
        }

        return Single(SqlTokenKind.Other);
    }

    /// <summary>
    /// A quoted string starting at <c>_pos</c> (the opening quote). <c>''</c> is a quote inside; with
    /// <paramref name="escapes"/> (E'…') a backslash also escapes the next character, so <c>E'\''</c> is one
    /// string.
    /// </summary>
    private SqlTokenKind QuotedString(bool escapes, SqlTokenKind kind)
    {
        _pos++;
        while (_pos < _text.Length)
        {
            var rest = _text[_pos..];
            var at = escapes ? rest.IndexOfAny('\'', '\\') : rest.IndexOf('\'');
            if (at < 0)
            {
                break;
            }

            _pos += at;
            if (_text[_pos] == '\\')
            {
                _pos += 2;
            }
            else if (Peek(1) == '\'')
            {
                _pos += 2;
            }
            else
            {
                _pos++;
                return kind;
            }
        }

        return SqlTokenKind.Unterminated;
    }

    private SqlTokenKind QuotedIdentifier()
    {
        _pos++;
        while (_pos < _text.Length)
        {
            var at = _text[_pos..].IndexOf('"');
            if (at < 0)
            {
                break;
            }

            _pos += at + 1;
            if (_pos < _text.Length && _text[_pos] == '"')
            {
                _pos++;
            }
            else
            {
                return SqlTokenKind.QuotedIdentifier;
            }
        }

        return SqlTokenKind.Unterminated;
    }

    /// <summary>
    /// <c>$1</c> is a parameter; <c>$$</c> or <c>$tag$</c> opens a body that ends at the same delimiter. A tag is
    /// made of identifier characters and does not start with a digit. A lone <c>$</c> is
    /// <see cref="SqlTokenKind.Other"/>.
    /// </summary>
    private SqlTokenKind Dollar()
    {
        var start = _pos;
        if (Peek(1) is >= '0' and <= '9')
        {
            _pos++;
            while (_pos < _text.Length && char.IsAsciiDigit(_text[_pos]))
            {
                _pos++;
            }

            return SqlTokenKind.Parameter;
        }

        var end = start + 1;
        if (end < _text.Length && IsIdentifierStart(_text[end]))
        {
            end++;
            while (end < _text.Length && IsTagChar(_text[end]))
            {
                end++;
            }
        }

        if (end >= _text.Length || _text[end] != '$')
        {
            return Single(SqlTokenKind.Other);
        }

        var delimiter = _text[start..(end + 1)];
        var close = _text[(end + 1)..].IndexOf(delimiter);
        if (close < 0)
        {
            return SqlTokenKind.Unterminated;
        }

        _pos = end + 1 + close + delimiter.Length;
        return SqlTokenKind.DollarString;
    }

    /// <summary>
    /// Digits, a fraction, an exponent, 0x/0o/0b prefixes and _ separators: precision does not matter here.
    /// </summary>
    private SqlTokenKind Number()
    {
        var seenDot = false;
        while (_pos < _text.Length)
        {
            var c = _text[_pos];
            if (char.IsAsciiLetterOrDigit(c) || c == '_')
            {
                _pos++;
                if (c is 'e' or 'E' && Peek(0) is '+' or '-' && Peek(1) is >= '0' and <= '9')
                {
                    _pos++;
                }
            }
            else if (c == '.' && !seenDot && Peek(1) != '.')
            {
                seenDot = true;
                _pos++;
            }
            else
            {
                break;
            }
        }

        return SqlTokenKind.Number;
    }

    /// <summary>
    /// An identifier, or a string with a one-letter prefix: E'…', B'…', X'…', N'…', U&amp;'…', U&amp;"…".
    /// </summary>
    private SqlTokenKind WordOrPrefixedString(char c)
    {
        var next = Peek(1);
        if (next == '\'')
        {
            switch (c)
            {
                case 'e' or 'E':
                    _pos++;
                    return QuotedString(escapes: true, SqlTokenKind.EscapeString);
                case 'b' or 'B' or 'x' or 'X':
                    _pos++;
                    return QuotedString(escapes: false, SqlTokenKind.BitString);
                case 'n' or 'N':
                    _pos++;
                    return QuotedString(escapes: false, SqlTokenKind.String);
            }
        }
        else if (c is 'u' or 'U' && next == '&' && Peek(2) is '\'' or '"')
        {
            _pos += 2;
            return _text[_pos] == '"' ? QuotedIdentifier() : QuotedString(escapes: false, SqlTokenKind.String);
        }

        _pos++;
        while (_pos < _text.Length && IsIdentifierChar(_text[_pos]))
        {
            _pos++;
        }

        return SqlTokenKind.Word;
    }

    /// <summary>A run of operator characters; a <c>--</c> or <c>/*</c> inside it starts a comment instead.</summary>
    private SqlTokenKind Operator()
    {
        _pos++;
        while (_pos < _text.Length && IsOperatorChar(_text[_pos]))
        {
            var c = _text[_pos];
            if ((c == '-' && Peek(1) == '-') || (c == '/' && Peek(1) == '*'))
            {
                break;
            }

            _pos++;
        }

        return SqlTokenKind.Operator;
    }

    private readonly char Peek(int offset) => _pos + offset < _text.Length ? _text[_pos + offset] : '\0';

    private static bool IsIdentifierStart(char c) => char.IsAsciiLetter(c) || c == '_' || c >= '\u0080';

    private static bool IsIdentifierChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '_' or '$' || c >= '\u0080';

    private static bool IsTagChar(char c) => char.IsAsciiLetterOrDigit(c) || c == '_' || c >= '\u0080';

    private static bool IsOperatorChar(char c) => c is '+' or '-' or '*' or '/' or '<' or '>' or '=' or '~' or '!'
        or '@' or '#' or '%' or '^' or '&' or '|' or '`' or '?';
}

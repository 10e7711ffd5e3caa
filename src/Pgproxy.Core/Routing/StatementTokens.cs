namespace Pgproxy.Core.Routing;

/// <summary>
/// The tokens of one statement (or part of one) with the text they point into, and the small look-ups the
/// classifier needs. Out-of-range indexes read as "nothing there" instead of throwing, so parsers can look ahead
/// freely.
/// </summary>
internal readonly ref struct StatementTokens
{
    public StatementTokens(ReadOnlySpan<SqlToken> tokens, ReadOnlySpan<char> text)
    {
        Tokens = tokens;
        Text = text;
    }

    public ReadOnlySpan<SqlToken> Tokens { get; }

    public ReadOnlySpan<char> Text { get; }

    public int Count => Tokens.Length;

    public StatementTokens Slice(int start) => new(Tokens[Math.Min(start, Count)..], Text);

    public StatementTokens Slice(int start, int end) => new(Tokens[start..end], Text);

    /// <summary>
    /// The keyword at <paramref name="i"/>; <see cref="SqlKeyword.None"/> past the end or for a non-word.
    /// </summary>
    public SqlKeyword Keyword(int i) => (uint)i < (uint)Count ? Tokens[i].Keyword : SqlKeyword.None;

    /// <summary>The token kind at <paramref name="i"/>; <see cref="SqlTokenKind.Unterminated"/> past the end.</summary>
    public SqlTokenKind Kind(int i) => (uint)i < (uint)Count ? Tokens[i].Kind : SqlTokenKind.Unterminated;

    public bool Is(int i, SqlKeyword keyword) => Keyword(i) == keyword;

    public bool Is(int i, SqlTokenKind kind) => Kind(i) == kind;

    public ReadOnlySpan<char> TextOf(int i) => Text.Slice(Tokens[i].Start, Tokens[i].Length);

    /// <summary>
    /// True when the token at <paramref name="i"/> is the unquoted word <paramref name="word"/> (any case): for
    /// words the keyword table does not list.
    /// </summary>
    public bool IsWord(int i, string word) =>
        Is(i, SqlTokenKind.Word) && TextOf(i).Equals(word, StringComparison.OrdinalIgnoreCase);

    /// <summary>A word or quoted identifier: something that can name an object.</summary>
    public bool IsName(int i) => Kind(i) is SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier;

    /// <summary>
    /// The index of the parenthesis that closes the one at <paramref name="open"/>, or -1 if it is not closed
    /// within these tokens.
    /// </summary>
    public int MatchingParen(int open)
    {
        var depth = 0;
        for (var i = open; i < Count; i++)
        {
            var kind = Tokens[i].Kind;
            if (kind == SqlTokenKind.OpenParen)
            {
                depth++;
            }
            else if (kind == SqlTokenKind.CloseParen && --depth == 0)
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>The index of the parenthesis that opens the one closed at <paramref name="close"/>, or -1.</summary>
    public int OpeningParen(int close)
    {
        var depth = 0;
        for (var i = close; i >= 0; i--)
        {
            var kind = Tokens[i].Kind;
            if (kind == SqlTokenKind.CloseParen)
            {
                depth++;
            }
            else if (kind == SqlTokenKind.OpenParen && --depth == 0)
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>
    /// The index just past a (possibly qualified) name starting at <paramref name="i"/>; i when there is none.
    /// </summary>
    public int SkipQualifiedName(int i)
    {
        if (!IsName(i))
        {
            return i;
        }

        var end = i + 1;
        while (Is(end, SqlTokenKind.Dot) && IsName(end + 1))
        {
            end += 2;
        }

        return end;
    }

    /// <summary>
    /// The name made of tokens [start, end) as PostgreSQL resolves it: unquoted parts lower-cased, quoted parts
    /// without their quotes, joined with dots.
    /// </summary>
    public string NameText(int start, int end)
    {
        if (end - start == 1)
        {
            return NamePart(start);
        }

        var parts = new string[(end - start + 1) / 2];
        for (var i = start; i < end; i += 2)
        {
            parts[(i - start) / 2] = NamePart(i);
        }

        return string.Join('.', parts);
    }

    /// <summary>One identifier as PostgreSQL resolves it (see <see cref="NameText"/>).</summary>
    public string NamePart(int i)
    {
        var text = TextOf(i);
        if (Tokens[i].Kind == SqlTokenKind.Word)
        {
            return LowerCase(text);
        }

        // "a""b" → a"b; U&"…" keeps its escapes as written.
        var open = text.IndexOf('"');
        var inner = text[(open + 1)..^1];
        return inner.Contains("\"\"", StringComparison.Ordinal)
            ? inner.ToString().Replace("\"\"", "\"", StringComparison.Ordinal)
            : inner.ToString();
    }

    /// <summary>
    /// PostgreSQL folds unquoted identifiers with ASCII rules; characters beyond ASCII keep their case in a
    /// UTF-8 database, and so they do here.
    /// </summary>
    private static string LowerCase(ReadOnlySpan<char> word)
    {
        if (!word.ContainsAnyInRange('A', 'Z'))
        {
            return word.ToString();
        }

        return string.Create(word.Length, word, static (span, w) =>
        {
            for (var i = 0; i < w.Length; i++)
            {
                var c = w[i];
                span[i] = char.IsAsciiLetterUpper(c) ? (char)(c | 0x20) : c;
            }
        });
    }
}

using System.Text;

namespace Pgproxy.Core.Routing;

/// <summary>
/// The databases a statement needs nobody else connected to: <c>DROP DATABASE x</c>, <c>ALTER DATABASE x RENAME
/// TO …</c> and <c>ALTER DATABASE x SET TABLESPACE …</c> name x; <c>CREATE DATABASE y</c> copies its template
/// (<c>TEMPLATE x</c>, template1 by default), which PostgreSQL refuses to copy while anyone is connected to it.
/// pgproxy's own idle cached connections count as "connected", so they must be closed first.
/// </summary>
internal static class DatabaseStatementTargets
{
    private const string DefaultTemplate = "template1";

    /// <summary>
    /// Cheap test on the raw bytes of a query text, without allocating: true when its first word is CREATE, DROP or
    /// ALTER (or it starts with a comment), the only texts worth lexing with <see cref="Find(ReadOnlySpan{char})"/>.
    /// </summary>
    public static bool MayName(ReadOnlySpan<byte> utf8)
    {
        var text = utf8.TrimStart(" \t\r\n"u8);
        return text.StartsWith("--"u8) || text.StartsWith("/*"u8) || StartsWithWord(text, "create"u8)
               || StartsWithWord(text, "drop"u8) || StartsWithWord(text, "alter"u8);
    }

    /// <summary>The databases named by the first statement of <paramref name="utf8"/> (see the class).</summary>
    public static IReadOnlyList<string> Find(ReadOnlySpan<byte> utf8) =>
        MayName(utf8) ? Find(Encoding.UTF8.GetString(utf8)) : [];

    /// <summary>The databases named by the first statement of <paramref name="sql"/> (see the class).</summary>
    public static IReadOnlyList<string> Find(ReadOnlySpan<char> sql)
    {
        Span<SqlToken> buffer = stackalloc SqlToken[64];
        var count = 0;
        var lexer = new SqlLexer(sql);
        while (count < buffer.Length && lexer.Next(out var token) && token.Kind != SqlTokenKind.Semicolon)
        {
            buffer[count++] = token;
        }

        var st = new StatementTokens(buffer[..count], sql);
        if (!st.Is(1, SqlKeyword.Database) || !st.IsName(2))
        {
            return [];
        }

        switch (st.Keyword(0))
        {
            case SqlKeyword.Create:
                return [Template(st) ?? DefaultTemplate];
            case SqlKeyword.Drop:
                // DROP DATABASE [IF EXISTS] name [[WITH] (FORCE)]
                var name = st.IsWord(2, "if") && st.Is(3, SqlKeyword.Exists) ? 4 : 2;
                return st.IsName(name) ? [NameOf(st, name)] : [];
            case SqlKeyword.Alter:
                return st.IsWord(3, "rename") || (st.Is(3, SqlKeyword.Set) && st.IsWord(4, "tablespace"))
                    ? [NameOf(st, 2)]
                    : [];
            default:
                return [];
        }
    }

    private static bool StartsWithWord(ReadOnlySpan<byte> text, ReadOnlySpan<byte> lowerWord)
    {
        if (text.Length <= lowerWord.Length)
        {
            return false;
        }

        for (var i = 0; i < lowerWord.Length; i++)
        {
            if ((text[i] | 0x20) != lowerWord[i])
            {
                return false;
            }
        }

        return text[lowerWord.Length] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n' or (byte)'/' or (byte)'-';
    }

    /// <summary>The name after CREATE DATABASE's TEMPLATE option, null when there is none or it is DEFAULT.</summary>
    private static string? Template(StatementTokens st)
    {
        for (var i = 3; i < st.Count - 1; i++)
        {
            if (!st.IsWord(i, "template"))
            {
                continue;
            }

            var value = st.Is(i + 1, SqlTokenKind.Operator) && st.TextOf(i + 1) is "=" ? i + 2 : i + 1;
            return st.IsName(value) && !st.Is(value, SqlKeyword.Default) ? NameOf(st, value)
                : st.Is(value, SqlTokenKind.String) ? st.TextOf(value)[1..^1].ToString().Replace("''", "'")
                : null;
        }

        return null;
    }

    /// <summary>An identifier as PostgreSQL stores it: unquoted names fold to lower case, quoted ones keep theirs.</summary>
    private static string NameOf(StatementTokens st, int i)
    {
        var text = st.TextOf(i);
        return st.Is(i, SqlTokenKind.QuotedIdentifier) && text.Length >= 2 && text[0] == '"'
            ? text[1..^1].ToString().Replace("\"\"", "\"")
            : text.ToString().ToLowerInvariant();
    }
}

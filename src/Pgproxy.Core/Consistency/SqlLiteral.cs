using System.Text;

namespace Pgproxy.Core.Consistency;

/// <summary>
/// Turns a value read back as text into a literal that can go into a query again: the comparer sends key-range
/// boundaries read from main to every node, so they must survive the trip whatever characters they hold.
/// </summary>
internal static class SqlLiteral
{
    /// <summary>
    /// <paramref name="value"/> as a string constant cast to <paramref name="type"/> (already a SQL type name, from
    /// format_type). Like PostgreSQL's quote_literal: quotes doubled, and a value holding a backslash written as an
    /// E'' string with the backslashes doubled, so it reads the same whatever standard_conforming_strings is.
    /// </summary>
    public static string Cast(string value, string type) => Quote(value) + "::" + type;

    public static string Quote(string value)
    {
        var text = new StringBuilder(value.Length + 2);
        var escape = value.Contains('\\', StringComparison.Ordinal);
        if (escape)
        {
            text.Append('E');
        }

        text.Append('\'');
        foreach (var c in value)
        {
            if (c == '\'' || (escape && c == '\\'))
            {
                text.Append(c);
            }

            text.Append(c);
        }

        return text.Append('\'').ToString();
    }
}

using System.Globalization;
using System.Text;
using Pgproxy.Core.Routing;

namespace Pgproxy.Core.Determinism;

/// <summary>
/// The data format a <c>COPY … FROM STDIN</c> statement declares, in the current option syntax
/// (<c>WITH (FORMAT csv, DELIMITER ';', HEADER)</c>) or the old one (<c>WITH CSV HEADER DELIMITER ';'</c>).
/// </summary>
internal sealed class CopyOptions
{
    /// <summary>The defaults: text format, tab-delimited.</summary>
    public static readonly CopyOptions Text = new() { Delimiter = (byte)'\t', Escape = (byte)'"', Null = "\\N" };

    public bool Binary { get; private set; }

    public bool Csv { get; private set; }

    public byte Delimiter { get; private set; }

    public byte Quote { get; private set; } = (byte)'"';

    public byte Escape { get; private set; }

    /// <summary>The NULL marker (<c>\N</c> in text, empty in CSV unless set).</summary>
    public string Null { get; private set; } = "";

    /// <summary>The first line is a header (<c>HEADER</c>, <c>HEADER MATCH</c>).</summary>
    public bool Header { get; private set; }

    /// <summary>PostgreSQL 16's <c>DEFAULT 'marker'</c>: rows may ask for any listed column's default.</summary>
    public bool HasDefaultMarker { get; private set; }

    /// <summary>
    /// Reads the options from token <paramref name="start"/> (just past STDIN) on. Null when they are not
    /// options PostgreSQL accepts for this purpose (a delimiter of more than one byte, an unknown format…).
    /// </summary>
    public static CopyOptions? Parse(StatementTokens st, int start, bool binary)
    {
        var options = new CopyOptions { Binary = binary };
        string? delimiter = null;
        string? quote = null;
        string? escape = null;
        string? nullMarker = null;
        var i = st.Is(start, SqlKeyword.With) ? start + 1 : start;
        var ok = st.Is(i, SqlTokenKind.OpenParen)
            ? options.ParseList(st, i, ref delimiter, ref quote, ref escape, ref nullMarker)
            : options.ParseLegacy(st, i, ref delimiter, ref quote, ref escape, ref nullMarker);
        if (!ok)
        {
            return null;
        }

        options.Null = nullMarker ?? (options.Csv ? "" : "\\N");
        if (!OneByte(delimiter ?? (options.Csv ? "," : "\t"), out var d) || !OneByte(quote ?? "\"", out var q)
                                                                         || !OneByte(escape ?? quote ?? "\"", out var e))
        {
            return null;
        }

        options.Delimiter = d;
        options.Quote = q;
        options.Escape = e;
        return options;
    }

    /// <summary><c>( name [value], … )</c>.</summary>
    private bool ParseList(StatementTokens st, int open, ref string? delimiter, ref string? quote,
        ref string? escape, ref string? nullMarker)
    {
        var close = st.MatchingParen(open);
        if (close < 0)
        {
            return false;
        }

        var i = open + 1;
        while (i < close)
        {
            if (!st.Is(i, SqlTokenKind.Word))
            {
                return false;
            }

            var name = st.TextOf(i).ToString().ToLowerInvariant();
            var valueEnd = i + 1;
            while (valueEnd < close && !st.Is(valueEnd, SqlTokenKind.Comma))
            {
                valueEnd = st.Is(valueEnd, SqlTokenKind.OpenParen) ? st.MatchingParen(valueEnd) + 1 : valueEnd + 1;
                if (valueEnd <= 0)
                {
                    return false;
                }
            }

            var value = valueEnd == i + 2 ? Value(st, i + 1) : null;
            switch (name)
            {
                case "format":
                    if (!SetFormat(value))
                    {
                        return false;
                    }

                    break;
                case "header":
                    Header = valueEnd == i + 1 || !(value is not null && IsFalse(value));
                    break;
                case "delimiter":
                    delimiter = value ?? "";
                    break;
                case "quote":
                    quote = value ?? "";
                    break;
                case "escape":
                    escape = value ?? "";
                    break;
                case "null":
                    nullMarker = value ?? "";
                    break;
                case "default":
                    HasDefaultMarker = true;
                    break;
            }

            i = valueEnd + 1;
        }

        return true;
    }

    /// <summary>
    /// <c>[BINARY] [DELIMITER [AS] 'c'] [NULL [AS] 's'] [CSV [HEADER] [QUOTE [AS] 'q'] [ESCAPE [AS] 'e']
    /// [FORCE …]] [ENCODING 'e'] [FREEZE]</c>, in any order, up to WHERE or the end.
    /// </summary>
    private bool ParseLegacy(StatementTokens st, int i, ref string? delimiter, ref string? quote,
        ref string? escape, ref string? nullMarker)
    {
        while (i < st.Count && !st.Is(i, SqlKeyword.Where))
        {
            if (!st.Is(i, SqlTokenKind.Word))
            {
                return false;
            }

            var word = st.TextOf(i).ToString().ToLowerInvariant();
            i++;
            switch (word)
            {
                case "binary":
                    Binary = true;
                    break;
                case "csv":
                    Csv = true;
                    break;
                case "header":
                    Header = true;
                    break;
                case "freeze" or "oids":
                    break;
                case "delimiter" or "null" or "quote" or "escape" or "encoding":
                    if (st.Is(i, SqlKeyword.As))
                    {
                        i++;
                    }

                    var value = Value(st, i++);
                    if (value is null)
                    {
                        return false;
                    }

                    _ = word switch
                    {
                        "delimiter" => delimiter = value,
                        "null" => nullMarker = value,
                        "quote" => quote = value,
                        "escape" => escape = value,
                        _ => value,
                    };
                    break;
                case "force":
                    // FORCE QUOTE / FORCE NOT NULL / FORCE NULL, then * or a list of columns.
                    while (st.Is(i, SqlKeyword.Not) || (st.Is(i, SqlTokenKind.Word)
                                                         && (st.TextOf(i).Equals("null", StringComparison.OrdinalIgnoreCase)
                                                             || st.TextOf(i).Equals("quote", StringComparison.OrdinalIgnoreCase))))
                    {
                        i++;
                    }

                    if (st.Is(i, SqlTokenKind.Operator))
                    {
                        i++;
                        break;
                    }

                    i++;
                    while (st.Is(i, SqlTokenKind.Comma) && st.IsName(i + 1))
                    {
                        i += 2;
                    }

                    break;
                default:
                    return false;
            }
        }

        return true;
    }

    private bool SetFormat(string? value)
    {
        switch (value?.ToLowerInvariant())
        {
            case "text":
                Csv = false;
                Binary = false;
                return true;
            case "csv":
                Csv = true;
                Binary = false;
                return true;
            case "binary":
                Binary = true;
                return true;
            default:
                return false;
        }
    }

    private static bool IsFalse(string value) => value.ToLowerInvariant() is "false" or "off" or "0" or "f" or "no";

    private static bool OneByte(string value, out byte b)
    {
        b = value.Length == 1 && value[0] < 0x80 ? (byte)value[0] : (byte)0;
        return value.Length == 1 && value[0] < 0x80;
    }

    /// <summary>A word, number or string constant as its value; null for anything else.</summary>
    private static string? Value(StatementTokens st, int i)
    {
        if (i >= st.Count)
        {
            return null;
        }

        var text = st.TextOf(i);
        return st.Kind(i) switch
        {
            SqlTokenKind.Word or SqlTokenKind.Number => text.ToString(),
            SqlTokenKind.String when text[0] == '\'' || text[0] is 'n' or 'N' =>
                StatementParser.StringContent(text).ToString().Replace("''", "'", StringComparison.Ordinal),
            SqlTokenKind.EscapeString => Unescape(StatementParser.StringContent(text)),
            SqlTokenKind.DollarString => DollarContent(text),
            _ => null,
        };
    }

    private static string DollarContent(ReadOnlySpan<char> token)
    {
        var tagEnd = token[1..].IndexOf('$') + 2;
        return token[tagEnd..^tagEnd].ToString();
    }

    /// <summary>E'…' escapes: \b \f \n \r \t \\ \' \xHH, octal \ooo, \uXXXX; '' is a quote.</summary>
    private static string? Unescape(ReadOnlySpan<char> content)
    {
        var result = new StringBuilder(content.Length);
        for (var i = 0; i < content.Length; i++)
        {
            var c = content[i];
            if (c == '\'' && i + 1 < content.Length && content[i + 1] == '\'')
            {
                result.Append('\'');
                i++;
                continue;
            }

            if (c != '\\' || i + 1 >= content.Length)
            {
                result.Append(c);
                continue;
            }

            var next = content[++i];
            switch (next)
            {
                case 'b': result.Append('\b'); break;
                case 'f': result.Append('\f'); break;
                case 'n': result.Append('\n'); break;
                case 'r': result.Append('\r'); break;
                case 't': result.Append('\t'); break;
                case 'x':
                {
                    var digits = HexDigits(content, i + 1, 2);
                    if (digits == 0)
                    {
                        result.Append('x');
                        break;
                    }

                    result.Append((char)int.Parse(content.Slice(i + 1, digits), NumberStyles.HexNumber,
                        CultureInfo.InvariantCulture));
                    i += digits;
                    break;
                }

                case 'u':
                {
                    if (HexDigits(content, i + 1, 4) != 4)
                    {
                        return null;
                    }

                    result.Append((char)int.Parse(content.Slice(i + 1, 4), NumberStyles.HexNumber,
                        CultureInfo.InvariantCulture));
                    i += 4;
                    break;
                }

                case >= '0' and <= '7':
                {
                    var value = 0;
                    var digits = 0;
                    while (digits < 3 && i + digits < content.Length && content[i + digits] is >= '0' and <= '7')
                    {
                        value = (value * 8) + (content[i + digits] - '0');
                        digits++;
                    }

                    result.Append((char)value);
                    i += digits - 1;
                    break;
                }

                default:
                    result.Append(next);
                    break;
            }
        }

        return result.ToString();
    }

    private static int HexDigits(ReadOnlySpan<char> text, int start, int max)
    {
        var count = 0;
        while (count < max && start + count < text.Length && char.IsAsciiHexDigit(text[start + count]))
        {
            count++;
        }

        return count;
    }
}

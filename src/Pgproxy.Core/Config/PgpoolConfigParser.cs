using System.Text;

namespace Pgproxy.Core.Config;

/// <summary>
/// Reads pgpool.conf / postgresql.conf syntax: <c>key = value</c> (the <c>=</c> optional), <c>#</c> comments,
/// single-quoted strings with <c>''</c> and backslash escapes, bare tokens. Every bad line is reported and skipped,
/// so one pass finds all syntax errors.
/// </summary>
internal static class PgpoolConfigParser
{
    public static List<ConfigEntry> Parse(string text, string file, List<ConfigDiagnostic> errors)
    {
        var entries = new List<ConfigEntry>();
        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].TrimEnd('\r');
            var lineNo = i + 1;
            if (TryParseLine(line, out var key, out var value, out var error))
            {
                if (key.Length > 0)
                {
                    entries.Add(new ConfigEntry(key, value, lineNo));
                }
            }
            else
            {
                errors.Add(new ConfigDiagnostic(file, lineNo, key, error));
            }
        }

        return entries;
    }

    /// <summary>Returns true with an empty key for blank and comment-only lines.</summary>
    private static bool TryParseLine(string line, out string key, out string value, out string error)
    {
        key = "";
        value = "";
        error = "";
        var pos = SkipSpace(line, 0);
        if (pos == line.Length || line[pos] == '#')
        {
            return true;
        }

        if (!IsKeyStart(line[pos]))
        {
            error = $"syntax error: expected a key name, found \"{Excerpt(line, pos)}\"";
            return false;
        }

        var start = pos;
        while (pos < line.Length && IsKeyPart(line[pos]))
        {
            pos++;
        }

        key = line[start..pos].ToLowerInvariant();
        pos = SkipSpace(line, pos);
        if (pos < line.Length && line[pos] == '=')
        {
            pos = SkipSpace(line, pos + 1);
        }

        if (pos == line.Length || line[pos] == '#')
        {
            error = "syntax error: missing value (write '' for an empty string)";
            return false;
        }

        if (line[pos] == '\'')
        {
            if (!TryReadQuoted(line, ref pos, out value))
            {
                error = "syntax error: unterminated quoted string";
                return false;
            }
        }
        else
        {
            start = pos;
            while (pos < line.Length && !char.IsWhiteSpace(line[pos]) && line[pos] is not ('#' or '\'' or '='))
            {
                pos++;
            }

            if (pos == start)
            {
                error = $"syntax error: expected a value, found \"{Excerpt(line, pos)}\"";
                return false;
            }

            value = line[start..pos];
        }

        pos = SkipSpace(line, pos);
        if (pos < line.Length && line[pos] != '#')
        {
            error = $"syntax error: unexpected \"{Excerpt(line, pos)}\" after the value (quote values with spaces)";
            return false;
        }

        return true;
    }

    /// <summary>PostgreSQL's GUC_scanstr rules: <c>''</c> and <c>\'</c> are quotes, \b \f \n \r \t, \ooo octal.</summary>
    private static bool TryReadQuoted(string line, ref int pos, out string value)
    {
        var sb = new StringBuilder();
        pos++;
        while (pos < line.Length)
        {
            var c = line[pos];
            if (c == '\'')
            {
                if (pos + 1 < line.Length && line[pos + 1] == '\'')
                {
                    sb.Append('\'');
                    pos += 2;
                    continue;
                }

                pos++;
                value = sb.ToString();
                return true;
            }

            if (c == '\\' && pos + 1 < line.Length)
            {
                var e = line[pos + 1];
                pos += 2;
                switch (e)
                {
                    case 'b': sb.Append('\b'); break;
                    case 'f': sb.Append('\f'); break;
                    case 'n': sb.Append('\n'); break;
                    case 'r': sb.Append('\r'); break;
                    case 't': sb.Append('\t'); break;
                    case >= '0' and <= '7':
                        var octal = e - '0';
                        for (var k = 0; k < 2 && pos < line.Length && line[pos] is >= '0' and <= '7'; k++)
                        {
                            octal = (octal * 8) + (line[pos++] - '0');
                        }

                        sb.Append((char)octal);
                        break;
                    default: sb.Append(e); break;
                }

                continue;
            }

            sb.Append(c);
            pos++;
        }

        value = "";
        return false;
    }

    private static int SkipSpace(string line, int pos)
    {
        while (pos < line.Length && char.IsWhiteSpace(line[pos]))
        {
            pos++;
        }

        return pos;
    }

    private static bool IsKeyStart(char c) => char.IsAsciiLetter(c) || c == '_';

    private static bool IsKeyPart(char c) => char.IsAsciiLetterOrDigit(c) || c is '_' or '.';

    private static string Excerpt(string line, int pos)
    {
        var rest = line[pos..].TrimEnd();
        return rest.Length > 20 ? rest[..20] + "..." : rest;
    }
}

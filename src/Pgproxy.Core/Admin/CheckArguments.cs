namespace Pgproxy.Core.Admin;

/// <summary>
/// <c>PGPROXY CHECK [TABLE name, …] [DATABASE name, …]</c>: names separated by commas, each a plain or
/// double-quoted identifier, a table optionally schema-qualified.
/// </summary>
internal static class CheckArguments
{
    /// <summary>Parses the whole command text (starting with PGPROXY CHECK, no trailing semicolon).</summary>
    public static AdminArguments Parse(string text)
    {
        var rest = text["pgproxy".Length..].TrimStart()["check".Length..].Trim();
        List<string> tables = [], databases = [];
        while (rest.Length > 0)
        {
            var word = rest.Split((char[]?)null, 2, StringSplitOptions.RemoveEmptyEntries);
            var target = word[0].ToUpperInvariant() switch
            {
                "TABLE" => tables,
                "DATABASE" => databases,
                _ => null,
            };
            if (target is null || word.Length < 2)
            {
                return AdminArguments.None with
                {
                    Problem = $"syntax error in PGPROXY CHECK at \"{word[0]}\": expected " +
                              "PGPROXY CHECK [TABLE name, …] [DATABASE name, …]",
                };
            }

            rest = word[1];
            while (true)
            {
                var (name, after) = ReadName(rest);
                if (name is null)
                {
                    return AdminArguments.None with
                    {
                        Problem = $"syntax error in PGPROXY CHECK: a name was expected at \"{Clip(rest)}\"",
                    };
                }

                target.Add(name);
                rest = after.TrimStart();
                if (rest.StartsWith(','))
                {
                    rest = rest[1..].TrimStart();
                    continue;
                }

                break;
            }
        }

        return AdminArguments.None with { Tables = tables, Databases = databases };
    }

    /// <summary>One name, dotted parts joined with '.', quotes removed ("" inside quotes is one quote), unquoted parts lower-cased.</summary>
    private static (string? Name, string After) ReadName(string text)
    {
        var name = new System.Text.StringBuilder();
        var i = 0;
        while (true)
        {
            if (i < text.Length && text[i] == '"')
            {
                var start = name.Length;
                i++;
                while (i < text.Length && (text[i] != '"' || (i + 1 < text.Length && text[i + 1] == '"')))
                {
                    name.Append(text[i]);
                    i += text[i] == '"' ? 2 : 1;
                }

                if (i >= text.Length || name.Length == start)
                {
                    return (null, text);
                }

                i++; // closing quote
            }
            else
            {
                var start = i;
                while (i < text.Length && (char.IsLetterOrDigit(text[i]) || text[i] is '_' or '$'))
                {
                    i++;
                }

                if (i == start)
                {
                    return (null, text);
                }

                name.Append(text.AsSpan(start, i - start).ToString().ToLowerInvariant()); // unquoted: folded, as PostgreSQL does
            }

            if (i < text.Length && text[i] == '.')
            {
                name.Append('.');
                i++;
                continue;
            }

            return (name.ToString(), text[i..]);
        }
    }

    private static string Clip(string text) => text.Length > 20 ? text[..20] + "…" : text;
}

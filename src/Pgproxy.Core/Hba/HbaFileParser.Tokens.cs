using System.Text;

namespace Pgproxy.Core.Hba;

/// <summary>Splitting a pool_hba.conf line into fields of tokens, as PostgreSQL's hba.c does.</summary>
public static partial class HbaFileParser
{
    /// <summary>Splits a line into fields; a field is a comma-separated list of tokens.</summary>
    private static List<List<HbaToken>> Tokenize(string line, out string? error)
    {
        error = null;
        var fields = new List<List<HbaToken>>();
        var pos = 0;
        while (true)
        {
            pos = SkipSpace(line, pos);
            if (pos >= line.Length || line[pos] == '#')
            {
                return fields;
            }

            var field = new List<HbaToken>();
            while (true)
            {
                var sb = new StringBuilder();
                var quoted = false;
                while (pos < line.Length && !char.IsWhiteSpace(line[pos]) && line[pos] is not (',' or '#'))
                {
                    if (line[pos] == '"')
                    {
                        quoted = true;
                        pos++;
                        while (true)
                        {
                            if (pos >= line.Length)
                            {
                                error = "unterminated quoted string";
                                return fields;
                            }

                            if (line[pos] == '"')
                            {
                                // "" inside quotes is a literal quote, as in pg_hba.conf.
                                if (pos + 1 < line.Length && line[pos + 1] == '"')
                                {
                                    sb.Append('"');
                                    pos += 2;
                                    continue;
                                }

                                pos++;
                                break;
                            }

                            sb.Append(line[pos++]);
                        }
                    }
                    else
                    {
                        sb.Append(line[pos++]);
                    }
                }

                if (sb.Length == 0 && !quoted)
                {
                    error = pos < line.Length && line[pos] == ','
                        ? "empty entry in a comma-separated list"
                        : "list ends with a comma";
                    return fields;
                }

                field.Add(new HbaToken(sb.ToString(), quoted));
                // "a , b" is one list too; a comma always continues the field.
                var afterSpace = SkipSpace(line, pos);
                if (afterSpace < line.Length && line[afterSpace] == ',')
                {
                    pos = SkipSpace(line, afterSpace + 1);
                    continue;
                }

                break;
            }

            fields.Add(field);
        }
    }

    private static int SkipSpace(string line, int pos)
    {
        while (pos < line.Length && char.IsWhiteSpace(line[pos]))
        {
            pos++;
        }

        return pos;
    }
}

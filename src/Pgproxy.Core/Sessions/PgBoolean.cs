namespace Pgproxy.Core.Sessions;

/// <summary>
/// PostgreSQL's own reading of a boolean startup value (parse_bool in its utils/adt/bool.c): any case, and any
/// unambiguous prefix of true/false/yes/no, but only <c>on</c>, <c>of</c>/<c>off</c>, <c>1</c> and <c>0</c> for the
/// others. pgproxy must read <c>replication</c> exactly as the node would, or a spelling it does not know passes
/// its refusal and the node opens a walsender.
/// </summary>
internal static class PgBoolean
{
    public static bool TryParse(string text, out bool value)
    {
        value = false;
        if (text.Length == 0)
        {
            return false;
        }

        switch (char.ToLowerInvariant(text[0]))
        {
            case 't':
                return IsPrefixOf(text, "true", minimum: 1) && (value = true);
            case 'f':
                return IsPrefixOf(text, "false", minimum: 1);
            case 'y':
                return IsPrefixOf(text, "yes", minimum: 1) && (value = true);
            case 'n':
                return IsPrefixOf(text, "no", minimum: 1);
            case 'o':
                // "o" alone could be either.
                if (IsPrefixOf(text, "on", minimum: 2))
                {
                    value = true;
                    return true;
                }

                return IsPrefixOf(text, "off", minimum: 2);
            case '1':
                return text.Length == 1 && (value = true);
            case '0':
                return text.Length == 1;
            default:
                return false;
        }
    }

    private static bool IsPrefixOf(string text, string word, int minimum) =>
        text.Length >= minimum && text.Length <= word.Length
        && word.StartsWith(text, StringComparison.OrdinalIgnoreCase);
}

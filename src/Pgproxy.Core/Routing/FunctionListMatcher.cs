using System.Text.RegularExpressions;

namespace Pgproxy.Core.Routing;

/// <summary>
/// pgpool's write_function_list / read_only_function_list: comma-separated regular expressions, each anchored
/// at both ends (<c>nextval</c> matches only "nextval", <c>nextval.*</c> also "nextval_x"), matched
/// case-insensitively against a function name without its schema.
/// </summary>
internal sealed class FunctionListMatcher
{
    private readonly Regex[] _regexes = [];

    /// <exception cref="ArgumentException">An entry is not a valid regular expression; the message names it.</exception>
    public FunctionListMatcher(string commaSeparatedRegexes)
    {
        ArgumentNullException.ThrowIfNull(commaSeparatedRegexes);
        var parts = commaSeparatedRegexes.Split(
            ',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0)
        {
            return;
        }

        // Each entry is its own anchored regex, as in pgpool: joining them into one alternation would renumber
        // groups and break back-references.
        const RegexOptions Options = RegexOptions.IgnoreCase | RegexOptions.CultureInvariant;
        _regexes = new Regex[parts.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            var part = parts[i];
            try
            {
                _regexes[i] = new Regex($@"^(?:{part})\z", Options);
            }
            catch (ArgumentException e)
            {
                throw new ArgumentException(
                    $"invalid regular expression \"{part}\" in function list \"{commaSeparatedRegexes}\": {e.Message}",
                    nameof(commaSeparatedRegexes), e);
            }
        }
    }

    public bool IsEmpty => _regexes.Length == 0;

    public bool Matches(string functionName)
    {
        foreach (var regex in _regexes)
        {
            if (regex.IsMatch(functionName))
            {
                return true;
            }
        }

        return false;
    }
}

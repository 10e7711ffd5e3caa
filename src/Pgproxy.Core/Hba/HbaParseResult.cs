namespace Pgproxy.Core.Hba;

/// <summary>The records of a pool_hba.conf in file order (first match wins), and every error found.</summary>
public sealed class HbaParseResult
{
    internal HbaParseResult(IReadOnlyList<HbaRule> rules, IReadOnlyList<HbaError> errors)
    {
        Rules = rules;
        Errors = errors;
    }

    public IReadOnlyList<HbaRule> Rules { get; }

    public IReadOnlyList<HbaError> Errors { get; }

    public bool Succeeded => Errors.Count == 0;
}

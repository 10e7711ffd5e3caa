using System.Globalization;

namespace Pgproxy.TestUtilities.Fuzz;

/// <summary>
/// How many cases the fuzz tests run and from which seed. CI uses the fixed defaults, so every run tries the same
/// cases; <c>PGPROXY_FUZZ_CASES=N</c> runs N cases per fuzz test, <c>PGPROXY_FUZZ_SEED=S</c> another sequence,
/// and <c>PGPROXY_FUZZ_CASE=I</c> (with the same seed) replays case I alone, as a failure message says.
/// </summary>
internal static class FuzzSettings
{
    public const int DefaultSeed = 110_005;

    public static int Seed => Read("PGPROXY_FUZZ_SEED") ?? DefaultSeed;

    /// <summary>The case indexes to run: just the one asked for, else the first N.</summary>
    public static IReadOnlyList<int> CaseIndexes(int ciCases)
    {
        if (Read("PGPROXY_FUZZ_CASE") is { } only)
        {
            return [only];
        }

        return Enumerable.Range(0, Read("PGPROXY_FUZZ_CASES") ?? ciCases).ToArray();
    }

    public static string ReproduceHint(int index) =>
        $"PGPROXY_FUZZ_SEED={Seed} PGPROXY_FUZZ_CASE={index}";

    private static int? Read(string name) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.Integer, CultureInfo.InvariantCulture,
            out var value) ? value : null;
}

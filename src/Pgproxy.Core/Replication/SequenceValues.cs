using System.Globalization;

namespace Pgproxy.Core.Replication;

/// <summary>
/// The SQL both levellings of sequences share (<see cref="SequenceLevel"/> after a write's timing error,
/// <see cref="StartupSequenceLevel"/> at start): reading sequences' values on main and setting them on another node.
/// </summary>
internal static class SequenceValues
{
    /// <summary>One row per sequence named (quoted as SQL names it): its name, last_value and is_called.</summary>
    public static string ReadQuery(IEnumerable<string> sequences) =>
        string.Join(" UNION ALL ", sequences.Select(name =>
            $"SELECT {InjectedQueries.EscapedLiteral(name)}, last_value, is_called FROM {name}"));

    /// <summary>
    /// The setval call giving <paramref name="sequence"/> main's <paramref name="lastValue"/> and is_called
    /// (<paramref name="isCalled"/> as PostgreSQL prints a boolean); the value is checked to be a number.
    /// </summary>
    public static string SetvalCall(string sequence, string lastValue, string? isCalled) =>
        $"pg_catalog.setval({InjectedQueries.EscapedLiteral(sequence)}, " +
        $"{long.Parse(lastValue, CultureInfo.InvariantCulture)}, {(isCalled == "t" ? "true" : "false")})";
}

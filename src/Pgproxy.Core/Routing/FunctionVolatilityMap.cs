using System.Collections.Concurrent;
using System.Collections.Frozen;

namespace Pgproxy.Core.Routing;

/// <summary>
/// One reading of a database's pg_proc: every function name with its <see cref="FunctionClass"/>, plus the names
/// that were still unknown right after this reading (not functions, or not visible to main yet), remembered so
/// they cost no second reading until DDL makes the database read again.
/// </summary>
internal sealed class FunctionVolatilityMap
{
    private readonly FrozenDictionary<string, FunctionClass> _classes;
    private readonly ConcurrentDictionary<string, byte> _missing = new(StringComparer.Ordinal);

    /// <param name="rows">
    /// The rows of <see cref="FunctionVolatility.Query"/>: a class letter (v, c or s) followed by the name.
    /// </param>
    public FunctionVolatilityMap(IEnumerable<string> rows)
    {
        var classes = new Dictionary<string, FunctionClass>(StringComparer.Ordinal);
        foreach (var row in rows)
        {
            if (row.Length < 2)
            {
                continue;
            }

            classes[row[1..]] = row[0] switch
            {
                'v' => FunctionClass.Volatile,
                'c' => FunctionClass.VolatileInCatalog,
                _ => FunctionClass.NotVolatile,
            };
        }

        _classes = classes.ToFrozenDictionary(StringComparer.Ordinal);
    }

    public FunctionClass Classify(string name) =>
        _classes.TryGetValue(name, out var found) ? found : FunctionClass.Unknown;

    /// <summary>True when <paramref name="name"/> was unknown even right after this map was read.</summary>
    public bool IsKnownMissing(string name) => _missing.ContainsKey(name);

    public void RememberMissing(string name) => _missing.TryAdd(name, 0);
}

using System.Collections.Concurrent;
using System.Collections.Frozen;

namespace Pgproxy.Core.Routing;

/// <summary>
/// The names of volatile functions per database, read once from main's <c>pg_proc</c> by the first session
/// that needs them (off every later query's path) and forgotten when DDL may have changed them.
/// </summary>
internal sealed class FunctionVolatility
{
    /// <summary>What a session runs on main to fill the cache.</summary>
    public const string Query =
        "SELECT DISTINCT proname FROM pg_catalog.pg_proc WHERE provolatile = 'v'";

    private readonly ConcurrentDictionary<string, FrozenSet<string>> _byDatabase = new();

    public IReadOnlySet<string>? Get(string database) => _byDatabase.TryGetValue(database, out var set) ? set : null;

    public void Store(string database, IEnumerable<string> volatileNames) =>
        _byDatabase[database] = volatileNames.ToFrozenSet(StringComparer.Ordinal);

    /// <summary>A function may have been created, dropped or altered: read the database's list again.</summary>
    public void Invalidate(string database) => _byDatabase.TryRemove(database, out _);
}

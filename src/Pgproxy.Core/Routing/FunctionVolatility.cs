using System.Collections.Concurrent;

namespace Pgproxy.Core.Routing;

/// <summary>
/// The functions of each database by <see cref="FunctionClass"/>, read from main's <c>pg_proc</c> by the first
/// session that needs them (off every later query's path) and forgotten when DDL may have changed them.
/// </summary>
/// <remarks>
/// A reading may race with another session's DDL: it can start before a CREATE FUNCTION commits and be stored
/// after that session forgot the list. Each forgetting bumps the database's generation, and a reading is
/// stored only if no forgetting happened since it started, so a stale list never outlives the DDL.
/// </remarks>
internal sealed class FunctionVolatility
{
    /// <summary>
    /// What a session runs on main to fill the cache: per name, v when some overload outside pg_catalog is
    /// volatile, c when only pg_catalog's are, s when none is; followed by the name.
    /// </summary>
    public const string Query =
        "SELECT CASE WHEN bool_or(provolatile = 'v' AND pronamespace <> 'pg_catalog'::pg_catalog.regnamespace) " +
        "THEN 'v' WHEN bool_or(provolatile = 'v') THEN 'c' ELSE 's' END || proname " +
        "FROM pg_catalog.pg_proc GROUP BY proname";

    private readonly ConcurrentDictionary<string, FunctionVolatilityMap> _byDatabase = new();
    private readonly Dictionary<string, long> _generations = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    public FunctionVolatilityMap? Get(string database) => _byDatabase.GetValueOrDefault(database);

    /// <summary>The database's generation, to be handed back to <see cref="Store"/> with the reading.</summary>
    public long Generation(string database)
    {
        lock (_gate)
        {
            return _generations.GetValueOrDefault(database);
        }
    }

    /// <summary>
    /// Keeps a reading started at <paramref name="generation"/> unless the list was forgotten since; returns the
    /// map either way, for the statement that asked (its own reading is the freshest it can have).
    /// </summary>
    public FunctionVolatilityMap Store(string database, IEnumerable<string> rows, long generation)
    {
        var map = new FunctionVolatilityMap(rows);
        lock (_gate)
        {
            if (_generations.GetValueOrDefault(database) == generation)
            {
                _byDatabase[database] = map;
            }
        }

        return map;
    }

    /// <summary>A function may have been created, dropped or altered: read the database's list again.</summary>
    public void Invalidate(string database)
    {
        lock (_gate)
        {
            _generations[database] = _generations.GetValueOrDefault(database) + 1;
            _byDatabase.TryRemove(database, out _);
        }
    }
}

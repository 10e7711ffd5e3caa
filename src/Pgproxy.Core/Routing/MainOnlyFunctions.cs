using System.Collections.Frozen;

namespace Pgproxy.Core.Routing;

/// <summary>
/// Functions that signal another backend by its process id (pg_terminate_backend, pg_cancel_backend). A pid names
/// a backend on one node, and the pid a client knows is main's (BackendKeyData, pg_backend_pid() inside a
/// transaction): sent to every node as a volatile call would be, it could cancel or terminate an unrelated
/// backend that happens to have that pid on another node. A statement calling only these runs on main alone.
/// </summary>
internal static class BackendSignalFunctions
{
    private static readonly FrozenSet<string> Names = FrozenSet.ToFrozenSet(
        ["pg_terminate_backend", "pg_cancel_backend"], StringComparer.OrdinalIgnoreCase);

    public static bool Contains(string functionName) => Names.Contains(functionName);

    /// <summary>True when the statement calls functions and every one of them signals a backend.</summary>
    public static bool OnlyCalledBy(StatementClassification statement)
    {
        if (statement.FunctionNames.Count == 0)
        {
            return false;
        }

        foreach (var name in statement.FunctionNames)
        {
            if (!Names.Contains(name))
            {
                return false;
            }
        }

        return true;
    }
}

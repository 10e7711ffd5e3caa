using System.Collections.Frozen;

namespace Pgproxy.Core.Routing;

/// <summary>
/// Functions whose object exists on main alone; a statement calling only these runs on main alone.
/// <list type="bullet">
/// <item>Signalling a backend by process id (pg_terminate_backend, pg_cancel_backend). A pid names a backend on one
/// node, and the pid a client knows is main's (BackendKeyData, pg_backend_pid() inside a transaction): sent to every
/// node as a volatile call would be, it could cancel or terminate an unrelated backend that happens to have that pid
/// on another node.</item>
/// <item>Replication slots. Replication connections are relayed to main alone (README: a slot lives on main and is
/// lost with it), so the slots a client creates that way, or with these functions, exist on main only: sent to every
/// node, a drop or a peek fails on the others (42704) and pgproxy reported the nodes as different (Npgsql's
/// replication tests through two nodes).</item>
/// </list>
/// </summary>
internal static class MainOnlyFunctions
{
    private static readonly FrozenSet<string> Names = FrozenSet.ToFrozenSet(
        [
            "pg_terminate_backend", "pg_cancel_backend",
            "pg_create_physical_replication_slot", "pg_create_logical_replication_slot", "pg_drop_replication_slot",
            "pg_copy_physical_replication_slot", "pg_copy_logical_replication_slot", "pg_replication_slot_advance",
            "pg_logical_slot_get_changes", "pg_logical_slot_peek_changes", "pg_logical_slot_get_binary_changes",
            "pg_logical_slot_peek_binary_changes",
        ],
        StringComparer.OrdinalIgnoreCase);

    public static bool Contains(string functionName) => Names.Contains(functionName);

    /// <summary>True when the statement calls pg_terminate_backend: every session's next read then asks main.</summary>
    public static bool Terminates(StatementClassification statement) => statement.Calls("pg_terminate_backend");

    /// <summary>True when the statement calls any function that is main's alone.</summary>
    public static bool AnyCalledBy(StatementClassification statement)
    {
        foreach (var name in statement.FunctionNames)
        {
            if (Names.Contains(name))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>True when the statement calls functions and every one of them is main's alone.</summary>
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

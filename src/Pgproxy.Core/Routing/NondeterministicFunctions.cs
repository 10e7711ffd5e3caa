using System.Collections.Frozen;

namespace Pgproxy.Core.Routing;

/// <summary>
/// Built-in functions whose result differs from node to node even when every node runs the same statements in
/// the same order, so a write that calls one would silently diverge. <c>now()</c> is not here: it is the same
/// within a transaction and the router replaces it with main's value.
/// </summary>
internal static class NondeterministicFunctions
{
    private static readonly FrozenSet<string> Names = FrozenSet.ToFrozenSet(
    [
        "random", "random_normal", "setseed", "gen_random_uuid", "uuidv4", "uuidv7", "uuid_generate_v1",
        "uuid_generate_v1mc", "uuid_generate_v4", "clock_timestamp", "statement_timestamp", "timeofday",
        "txid_current", "txid_current_if_assigned", "pg_current_xact_id", "pg_current_xact_id_if_assigned",
        "pg_backend_pid", "inet_server_addr", "inet_server_port", "pg_postmaster_start_time",
    ], StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// True for a function name (schema stripped, as in <see cref="StatementClassification.FunctionNames"/>) in the
    /// list.
    /// </summary>
    public static bool Contains(string functionName) => Names.Contains(functionName);
}

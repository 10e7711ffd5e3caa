using System.Globalization;
using Pgproxy.Core.Backends;

namespace Pgproxy.Core.Operations;

/// <summary>
/// <c>SHOW POOL_BACKEND_STATS</c> with pgpool's columns: per node, the statements it ran by kind and the errors it
/// reported by severity, since pgproxy started (<see cref="NodeStatistics"/>). The kinds come from the
/// CommandComplete tags each node sent, so they count what every node really executed — on the replication path
/// and on the single-node path alike, which forwards without parsing statements. A statement that failed has no
/// tag: it counts as an error only. Statements pgproxy itself adds (its internal BEGIN/COMMIT, locks, the
/// timestamp query) are not counted; neither, on the other nodes, are a client's BEGIN (deferred, sent along
/// with its next statement) and COMMIT/ROLLBACK, whose answers there are consumed like pgproxy's own: those
/// count as "other" on the node that answered the client only.
/// </summary>
internal static class BackendStatsReport
{
    public static readonly string[] Columns =
    [
        "node_id", "hostname", "port", "status", "role", "select_cnt", "insert_cnt", "update_cnt", "delete_cnt",
        "ddl_cnt", "other_cnt", "panic_cnt", "fatal_cnt", "error_cnt",
    ];

    public static (IReadOnlyList<string>, List<string?[]>) Rows(IAdminServices services)
    {
        var main = services.Nodes.MainNode;
        var rows = new List<string?[]>();
        foreach (var node in services.Nodes.Nodes)
        {
            var stats = node.Statistics;
            rows.Add(
            [
                Invariant(node.NodeId),
                node.Config.Hostname,
                Invariant(node.Config.Port),
                StatusName(node.Status),
                node == main ? "main" : "replica",
                Invariant(stats.SelectCount),
                Invariant(stats.InsertCount),
                Invariant(stats.UpdateCount),
                Invariant(stats.DeleteCount),
                Invariant(stats.DdlCount),
                Invariant(stats.OtherCount),
                Invariant(stats.PanicCount),
                Invariant(stats.FatalCount),
                Invariant(stats.ErrorCount),
            ]);
        }

        return (Columns, rows);
    }

    /// <summary>pgpool's words for a node's status.</summary>
    public static string StatusName(BackendStatus status) => status switch
    {
        BackendStatus.Up => "up",
        BackendStatus.Down => "down",
        _ => "waiting",
    };

    private static string Invariant(long value) => value.ToString(CultureInfo.InvariantCulture);
}

using System.Buffers;
using System.Globalization;
using Pgproxy.Core.Backends;
using Pgproxy.Core.Hosting;
using Pgproxy.Core.Sessions;
using Pgproxy.Protocol.Writing;

namespace Pgproxy.Core.Admin;

/// <summary>
/// Builds the result of an admin command (RowDescription, DataRows, CommandComplete) with pgpool's columns,
/// all as text, so that tools written for pgpool read pgproxy's output unchanged.
/// </summary>
internal static class AdminReports
{
    private static readonly string[] PoolNodesColumns =
    [
        "node_id", "hostname", "port", "status", "pg_status", "lb_weight", "role", "pg_role", "select_cnt",
        "load_balance_node", "replication_delay", "replication_state", "replication_sync_state",
        "last_status_change",
    ];

    private static readonly string[] PoolProcessesColumns =
    [
        "pool_pid", "start_time", "client_connection_count", "database", "username", "backend_connection_time",
        "pool_counter", "status",
    ];

    public static byte[] Build(AdminCommand command, ClientSession session, ProxyRuntime runtime)
    {
        var writer = new ArrayBufferWriter<byte>(512);
        var rows = command switch
        {
            AdminCommand.PoolNodes => PoolNodes(session, runtime),
            AdminCommand.PoolProcesses or AdminCommand.PoolPools => PoolProcesses(runtime),
            AdminCommand.PoolVersion => (["pool_version"], [[ProductInfo.VersionLine]]),
            _ => (["item", "value"], [["status", "not implemented yet in " + ProductInfo.VersionLine]]),
        };
        BackendMessageWriter.WriteRowDescription(writer, rows.Item1);
        foreach (var row in rows.Item2)
        {
            BackendMessageWriter.WriteDataRow(writer, row);
        }

        BackendMessageWriter.WriteCommandComplete(writer, "SELECT " + rows.Item2.Count.ToString(CultureInfo.InvariantCulture));
        return writer.WrittenSpan.ToArray();
    }

    private static (IReadOnlyList<string>, List<string?[]>) PoolNodes(ClientSession session, ProxyRuntime runtime)
    {
        var nodes = runtime.Nodes.Nodes;
        var totalWeight = nodes.Where(n => n.Status != BackendStatus.Down).Sum(n => n.Config.Weight);
        var main = runtime.Nodes.MainNode;
        var rows = new List<string?[]>();
        foreach (var node in nodes)
        {
            var status = node.Status switch
            {
                BackendStatus.Up => "up",
                BackendStatus.Down => "down",
                _ => "waiting",
            };
            var weight = totalWeight > 0 && node.Status != BackendStatus.Down ? node.Config.Weight / totalWeight : 0;
            rows.Add(
            [
                Invariant(node.NodeId),
                node.Config.Hostname,
                Invariant(node.Config.Port),
                status,
                node.Status == BackendStatus.Down ? "down" : "up",
                weight.ToString("0.000000", CultureInfo.InvariantCulture),
                node == main ? "main" : "replica",
                node == main ? "main" : "replica",
                Invariant(node.SelectCount),
                session.Backend?.NodeId == node.NodeId ? "true" : "false",
                "0",
                "",
                "",
                node.LastStatusChange.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture),
            ]);
        }

        return (PoolNodesColumns, rows);
    }

    private static (IReadOnlyList<string>, List<string?[]>) PoolProcesses(ProxyRuntime runtime)
    {
        var rows = new List<string?[]>();
        foreach (var session in runtime.Sessions.Sessions.OrderBy(s => s.CancelProcessId))
        {
            rows.Add(
            [
                Invariant(session.CancelProcessId),
                runtime.StartedAt.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture),
                "1",
                session.Database,
                session.User,
                session.ConnectedAt.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture),
                "1",
                "Idle",
            ]);
        }

        return (PoolProcessesColumns, rows);
    }

    private static string Invariant(long value) => value.ToString(CultureInfo.InvariantCulture);
}

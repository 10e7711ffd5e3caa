using System.Globalization;
using System.Text;
using Pgproxy.Core.Admin;
using Pgproxy.Core.Backends;
using Pgproxy.Core.Config;

namespace Pgproxy.Core.Operations;

/// <summary>
/// The rows of an admin command, with pgpool's columns, all as text (so tools written for pgpool read pgproxy's
/// output unchanged), and as a self-contained SQL statement that PostgreSQL can run to return them.
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

    /// <summary>
    /// A statement returning the report: <c>SELECT * FROM (VALUES (…), …) AS t(columns…)</c>, every value an
    /// E'' literal (read the same whatever <c>standard_conforming_strings</c> says).
    /// </summary>
    public static string BuildQuery(AdminCommand command, IAdminSession session, IAdminServices services)
    {
        var (columns, rows) = Rows(command, session, services);
        var sql = new StringBuilder();
        var quotedColumns = string.Join(", ", columns.Select(c => $"\"{c}\""));
        if (rows.Count == 0)
        {
            sql.Append("SELECT ").AppendJoin(", ", columns.Select(c => $"NULL::text AS \"{c}\"")).Append(" WHERE false");
            return sql.ToString();
        }

        sql.Append("SELECT * FROM (VALUES ");
        for (var i = 0; i < rows.Count; i++)
        {
            sql.Append(i == 0 ? "(" : ", (");
            sql.AppendJoin(", ", rows[i].Select(Literal));
            sql.Append(')');
        }

        sql.Append(") AS ").Append(command.ToString().ToLowerInvariant()).Append('(').Append(quotedColumns).Append(')');
        return sql.ToString();
    }

    public static (IReadOnlyList<string> Columns, List<string?[]> Rows) Rows(AdminCommand command,
        IAdminSession session, IAdminServices services) => command switch
    {
        AdminCommand.PoolNodes => PoolNodes(session, services),
        AdminCommand.PoolProcesses => PoolProcesses(services, OnlyUser(session, services)),
        AdminCommand.PoolPools => PoolPoolsReport.Rows(services, OnlyUser(session, services)),
        AdminCommand.PoolBackendStats => BackendStatsReport.Rows(services),
        AdminCommand.PoolVersion => (["pool_version"], [[ProductInfo.VersionLine]]),
        AdminCommand.PoolStatus => PoolStatus(services),
        AdminCommand.PoolHealthCheckStats => HealthCheckStatsReport.Rows(services),
        AdminCommand.PoolCheck => PoolCheckReport.Rows(services),
        AdminCommand.PoolRecovery => PoolRecoveryReport.Rows(services),
        _ => (["item", "value"], [["status", "not implemented yet in " + ProductInfo.VersionLine]]),
    };

    /// <summary>
    /// Whose sessions the client may see: everyone's for a user in <c>admin_users</c> (null), otherwise only its
    /// own user's — as pg_stat_activity keeps other users' activity from an unprivileged role, since a session
    /// list tells who connects from where, to which database, and when.
    /// </summary>
    public static string? OnlyUser(IAdminSession session, IAdminServices services) =>
        NodeCommands.IsAdmin(session.User, services.Options.AdminUsers) ? null : session.User;

    private static string Literal(string? value) =>
        value is null ? "NULL::text" : "E'" + value.Replace("\\", "\\\\", StringComparison.Ordinal)
            .Replace("'", "''", StringComparison.Ordinal) + "'::text";

    private static (IReadOnlyList<string>, List<string?[]>) PoolNodes(IAdminSession session, IAdminServices services)
    {
        var nodes = services.Nodes.Nodes;
        var totalWeight = nodes.Where(n => n.Status != BackendStatus.Down).Sum(n => n.Config.Weight);
        var main = services.Nodes.MainNode;
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
                session.LoadBalanceNodeId == node.NodeId ? "true" : "false",
                "0",
                "",
                "",
                node.LastStatusChange.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture),
            ]);
        }

        return (PoolNodesColumns, rows);
    }

    /// <summary>Every configuration parameter in force: pgpool's item, value and description.</summary>
    private static (IReadOnlyList<string>, List<string?[]>) PoolStatus(IAdminServices services)
    {
        var options = services.Options;
        var rows = new List<string?[]>();
        foreach (var key in ConfigKeyRegistry.All)
        {
            if (!key.IsIndexed)
            {
                // replication_commit as it is in effect: one_phase (and why) where a node can't prepare.
                var value = key.Name == "replication_commit" ? services.TwoPhase.Mode : key.GetValue(options);
                rows.Add([key.Name, ConfigSecrets.Show(key.Name, value), key.Description]);
                continue;
            }

            foreach (var backend in options.Backends)
            {
                var name = key.NameFor(backend.NodeId);
                rows.Add([name, ConfigSecrets.Show(name, key.GetBackendValue(backend)), key.Description]);
            }
        }

        return (["item", "value", "description"], rows);
    }

    /// <summary>One row per session; only <paramref name="onlyUser"/>'s when it is given.</summary>
    private static (IReadOnlyList<string>, List<string?[]>) PoolProcesses(IAdminServices services, string? onlyUser)
    {
        var rows = new List<string?[]>();
        foreach (var session in services.Sessions.OrderBy(s => s.CancelProcessId))
        {
            if (onlyUser is not null && session.User != onlyUser)
            {
                continue;
            }

            rows.Add(
            [
                Invariant(session.CancelProcessId),
                services.StartedAt.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture),
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

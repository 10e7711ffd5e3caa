using System.Globalization;
using Pgproxy.Core.Backends;

namespace Pgproxy.Core.Operations;

/// <summary>
/// <c>SHOW POOL_POOLS</c> with pgpool's columns. pgpool lists every child × cached connection set × backend;
/// pgproxy has no children, so the rows are every session holding a client slot × every configured node (the
/// session's connection to that node, or an empty one: pool_connected 0), then the idle connections in the
/// connection cache, which belong to no session (pool_pid 0, status "Wait for connection"). pool_id counts a
/// session's connection sets (always 0: one per session) and, for cached connections, their place among those
/// for the same user and database. <c>statement</c> stays empty: pgproxy keeps no statement text per session
/// (that would cost an allocation per query). A client outside <c>admin_users</c> sees only its own user's
/// sessions and cached connections.
/// </summary>
internal static class PoolPoolsReport
{
    public static readonly string[] Columns =
    [
        "pool_pid", "start_time", "client_connection_count", "pool_id", "backend_id", "database", "username",
        "backend_connection_time", "client_connection_time", "client_disconnection_time", "client_idle_duration",
        "majorversion", "minorversion", "pool_counter", "pool_backendpid", "pool_connected", "status",
        "load_balance_node", "client_host", "client_port", "statement",
    ];

    /// <summary>The rows; only those of <paramref name="onlyUser"/> when it is given.</summary>
    public static (IReadOnlyList<string>, List<string?[]>) Rows(IAdminServices services, string? onlyUser)
    {
        var rows = new List<string?[]>();
        var startTime = Time(services.StartedAt);
        var nodes = services.Nodes.Nodes;
        foreach (var session in services.Sessions.OrderBy(s => s.CancelProcessId))
        {
            if (onlyUser is not null && session.User != onlyUser)
            {
                continue;
            }

            var backends = session.Backends.ToList();
            var (host, port) = SplitAddress(session.RemoteAddress);
            foreach (var node in nodes)
            {
                var backend = backends.FirstOrDefault(b => b.NodeId == node.NodeId && !b.IsBroken);
                rows.Add(
                [
                    Invariant(session.CancelProcessId),
                    startTime,
                    "1",
                    "0",
                    Invariant(node.NodeId),
                    session.Database,
                    session.User,
                    backend is null ? "" : ConnectionTime(backend),
                    Time(session.ConnectedAt),
                    "",
                    Invariant(session.IdleSeconds),
                    backend is null ? "0" : "3",
                    "0",
                    backend is null ? "0" : Invariant(backend.Reuses + 1),
                    backend is null ? "0" : Invariant(backend.ProcessId),
                    backend is null ? "0" : "1",
                    session.ActivityStatus,
                    session.LoadBalanceNodeId == node.NodeId ? "1" : "0",
                    host,
                    port,
                    "",
                ]);
            }
        }

        var now = Environment.TickCount64;
        var idle = services.Pool.IdleSnapshot().Where(c => onlyUser is null || c.Key.User == onlyUser);
        foreach (var group in idle.GroupBy(c => (c.Key.User, c.Key.Database)))
        {
            var poolId = 0;
            foreach (var connection in group.OrderBy(c => c.NodeId))
            {
                rows.Add(
                [
                    "0",
                    startTime,
                    "0",
                    Invariant(poolId++),
                    Invariant(connection.NodeId),
                    connection.Key.Database,
                    connection.Key.User,
                    ConnectionTime(connection),
                    "",
                    Time(DateTimeOffset.Now.AddMilliseconds(connection.ReturnedAt - now)),
                    "0",
                    "3",
                    "0",
                    Invariant(connection.Reuses + 1),
                    Invariant(connection.ProcessId),
                    "1",
                    "Wait for connection",
                    "0",
                    "",
                    "",
                    "",
                ]);
            }
        }

        return (Columns, rows);
    }

    /// <summary>"host:port" as pgproxy logs it ("[::1]:5000" for IPv6), or "[local]" for a Unix socket.</summary>
    public static (string Host, string Port) SplitAddress(string remoteAddress)
    {
        var colon = remoteAddress.LastIndexOf(':');
        if (colon <= 0 || remoteAddress.EndsWith(']') || !int.TryParse(remoteAddress.AsSpan(colon + 1),
                NumberStyles.None, CultureInfo.InvariantCulture, out _))
        {
            return (remoteAddress, "");
        }

        return (remoteAddress[..colon].Trim('[', ']'), remoteAddress[(colon + 1)..]);
    }

    /// <summary>When the connection was opened, from its boot-relative creation time.</summary>
    private static string ConnectionTime(BackendConnection connection) =>
        Time(DateTimeOffset.Now.AddMilliseconds(connection.CreatedAt - Environment.TickCount64));

    private static string Time(DateTimeOffset at) =>
        at.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);

    private static string Invariant(long value) => value.ToString(CultureInfo.InvariantCulture);
}

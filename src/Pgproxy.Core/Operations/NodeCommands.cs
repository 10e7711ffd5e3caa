using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;
using Pgproxy.Core.Admin;
using Pgproxy.Core.Backends;
using Pgproxy.Core.Logging;
using Pgproxy.Protocol.Messages;

namespace Pgproxy.Core.Operations;

/// <summary>
/// <c>PGPROXY ATTACH NODE n</c> and <c>PGPROXY DETACH NODE n</c>, pgpool's <c>pcp_attach_node</c> and
/// <c>pcp_detach_node</c> as SQL. Only users named in <c>admin_users</c> may run them. The change is made when
/// the command is read; the answer is a statement for PostgreSQL to run like every admin command's (see
/// <c>AdminCommandRewriter.TryRewrite</c>): one row whose <c>result</c> is pcp's own text. So the answer is
/// ordered with whatever the client pipelined, in both protocols, and the CommandComplete the client gets is
/// PostgreSQL's <c>SELECT 1</c>. A refusal is an <see cref="AdminError"/>, which pgproxy answers with an
/// ErrorResponse of its own (see the session's <c>PendingAdminErrors</c> for the single-node path).
/// </summary>
internal static partial class NodeCommands
{
    /// <summary>Makes "is it the last live node?" and the detach one step between administrators.</summary>
    private static readonly Lock ChangeLock = new();

    /// <summary>
    /// Runs the command for the session's user and returns the SQL that answers it, or null with the error that
    /// refuses it in <paramref name="error"/>.
    /// </summary>
    public static string? Run(AdminCommand command, int nodeId, IAdminSession session, IAdminServices services,
        out AdminError? error, bool force = false)
    {
        error = Refusal(command, nodeId, session, services, force, out var sql);
        return sql;
    }

    /// <summary>Carries the command out; the refusal, or null with the answering SQL in <paramref name="sql"/>.</summary>
    private static AdminError? Refusal(AdminCommand command, int nodeId, IAdminSession session, IAdminServices services,
        bool force, out string? sql)
    {
        var detach = command == AdminCommand.DetachNode;
        var verb = detach ? "detach" : "attach";
        var logger = services.LoggerFactory.CreateLogger("Pgproxy.Admin");
        if (!IsAdmin(session.User, services.Options.AdminUsers))
        {
            var message = $"permission denied to {verb} node: user \"{session.User}\" is not in admin_users";
            Log.Refused(logger, session.User, verb, message);
            sql = null;
            return new AdminError(SqlState.InsufficientPrivilege, message,
                "list the user in admin_users in pgproxy.conf and run \"pgproxy reload\"");
        }

        if (session.TransactionState == TransactionStatus.Failed)
        {
            // PostgreSQL refuses everything in a failed transaction, so it would refuse this answer: do nothing.
            sql = "SELECT NULL::text AS result";
            return null;
        }

        var nodes = services.Nodes;
        var node = nodeId >= 0 ? nodes.Find(nodeId) : null;
        if (node is null)
        {
            var configured = string.Join(", ",
                nodes.Nodes.Select(n => n.NodeId.ToString(CultureInfo.InvariantCulture)));
            var message = nodeId < 0
                ? $"invalid node id in PGPROXY {verb.ToUpperInvariant()} NODE: a node id is a whole number"
                : $"node id {nodeId} does not exist (configured nodes: {configured})";
            Log.Refused(logger, session.User, verb, message);
            sql = null;
            return new AdminError(SqlState.InvalidParameterValue, message, null);
        }

        var reason = $"{verb}ed by {session.User}" + (force ? " with FORCE, not checked against main" : "");
        lock (ChangeLock)
        {
            if (detach)
            {
                if (node.Status == BackendStatus.Down)
                {
                    sql = Success("pcp_detach_node", $"node {nodeId} was already down");
                    return null;
                }

                if (!nodes.Nodes.Any(n => n != node && n.Status != BackendStatus.Down))
                {
                    var message = $"cannot detach node {nodeId}: it is the last live node";
                    Log.Refused(logger, session.User, verb, message);
                    sql = null;
                    return new AdminError(SqlState.ObjectNotInPrerequisiteState, message,
                        "attach another node first (PGPROXY ATTACH NODE n)");
                }

                if (nodes.Degenerate(node, reason))
                {
                    Log.Detached(logger, nodeId, session.User);
                }

                sql = Success("pcp_detach_node", null);
                return null;
            }

            if (!nodes.Attach(node, reason))
            {
                sql = Success("pcp_attach_node", $"node {nodeId} was not down");
                return null;
            }

            Log.Attached(logger, nodeId, session.User);
            sql = Success("pcp_attach_node", force ? "attached with FORCE, not checked against main" : null);
            return null;
        }
    }

    /// <summary>True when <paramref name="user"/> is one of the comma-separated <c>admin_users</c>.</summary>
    public static bool IsAdmin(string user, string adminUsers)
    {
        var names = adminUsers.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (var name in names)
        {
            if (name.Trim('"') == user)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>pcp's "<c>pcp_x_node -- Command Successful</c>", as a one-row result named <c>result</c>.</summary>
    private static string Success(string pcpCommand, string? note) =>
        $"SELECT {Literal(pcpCommand + " -- Command Successful" + (note is null ? "" : $" ({note})"))} AS result";

    /// <summary>
    /// An E'' literal that reads the same whatever <c>standard_conforming_strings</c> says and cannot end the
    /// dollar quote around it (a '$' is written as an escape).
    /// </summary>
    private static string Literal(string value)
    {
        var text = new StringBuilder("E'");
        foreach (var c in value)
        {
            _ = c switch
            {
                '\\' => text.Append(@"\\"),
                '\'' => text.Append(@"\'"),
                '$' => text.Append(@"\x24"),
                _ => text.Append(c),
            };
        }

        return text.Append('\'').ToString();
    }

    private static partial class Log
    {
        [LoggerMessage(EventIds.NodeDetachedByAdmin, LogLevel.Warning, "node {NodeId} detached by user \"{User}\"")]
        public static partial void Detached(ILogger logger, int nodeId, string user);

        [LoggerMessage(EventIds.NodeAttachedByAdmin, LogLevel.Warning, "node {NodeId} attached by user \"{User}\"")]
        public static partial void Attached(ILogger logger, int nodeId, string user);

        [LoggerMessage(EventIds.AdminCommandRefused, LogLevel.Warning,
            "{Verb} node refused for user \"{User}\": {Message}")]
        public static partial void Refused(ILogger logger, string user, string verb, string message);
    }
}

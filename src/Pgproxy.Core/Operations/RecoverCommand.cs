using System.Globalization;
using Pgproxy.Core.Admin;
using Pgproxy.Core.Backends;
using Pgproxy.Core.Recovery;
using Pgproxy.Protocol.Messages;

namespace Pgproxy.Core.Operations;

/// <summary>
/// <c>PGPROXY RECOVER NODE n [WIPE]</c> (admin_users only): starts the online recovery of a down node in the
/// background and answers at once with one row saying where to follow it (SHOW POOL_RECOVERY); clients go on
/// writing throughout. <c>pgproxy node recover N</c> follows it the same way.
/// </summary>
internal static class RecoverCommand
{
    public static string? Run(AdminArguments arguments, IAdminSession session, IAdminServices services,
        out AdminError? error)
    {
        error = null;
        if (!NodeCommands.IsAdmin(session.User, services.Options.AdminUsers))
        {
            error = new AdminError(SqlState.InsufficientPrivilege,
                $"permission denied to recover node: user \"{session.User}\" is not in admin_users",
                "list the user in admin_users in pgproxy.conf and run \"pgproxy reload\"");
            return null;
        }

        var nodeId = arguments.NodeId;
        if (nodeId < 0 || services.Nodes.Find(nodeId) is not { } node)
        {
            error = new AdminError(SqlState.InvalidParameterValue, nodeId < 0
                ? "invalid node id in PGPROXY RECOVER NODE: a node id is a whole number (optionally followed by WIPE)"
                : $"node id {nodeId} does not exist", null);
            return null;
        }

        if (node.Status != BackendStatus.Down)
        {
            error = new AdminError(SqlState.ObjectNotInPrerequisiteState,
                $"node {nodeId} is not down: only a down node is recovered",
                $"PGPROXY DETACH NODE {nodeId} first to copy it again from main");
            return null;
        }

        if (services.Recoveries is not { } recoveries)
        {
            error = new AdminError(SqlState.ObjectNotInPrerequisiteState, "pgproxy is not started", null);
            return null;
        }

        if (recoveries.TryStart(new RecoveryRequest(nodeId, arguments.Wipe, session.User), out var running) is null)
        {
            error = new AdminError("55006",
                $"the recovery of node {running!.Request.NodeId} is running; one node is recovered at a time",
                "SHOW POOL_RECOVERY shows its progress");
            return null;
        }

        var id = nodeId.ToString(CultureInfo.InvariantCulture);
        return $"SELECT E'recovery of node {id} started: SHOW POOL_RECOVERY shows its progress'::text AS result";
    }
}

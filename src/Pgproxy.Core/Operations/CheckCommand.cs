using System.Globalization;
using Pgproxy.Core.Admin;
using Pgproxy.Core.Consistency;
using Pgproxy.Protocol.Messages;

namespace Pgproxy.Core.Operations;

/// <summary>
/// <c>PGPROXY CHECK [TABLE name, …] [DATABASE name, …]</c> (admin_users only): starts a consistency check in the
/// background and answers at once with one row — its run id and where to follow it (SHOW POOL_CHECK), as pgproxy
/// never holds a client's connection for a long read of every node. <c>pgproxy check</c> follows the same way.
/// </summary>
internal static class CheckCommand
{
    public static string? Run(AdminArguments arguments, IAdminSession session, IAdminServices services,
        out AdminError? error)
    {
        error = null;
        if (!NodeCommands.IsAdmin(session.User, services.Options.AdminUsers))
        {
            error = new AdminError(SqlState.InsufficientPrivilege,
                $"permission denied to run a consistency check: user \"{session.User}\" is not in admin_users",
                "list the user in admin_users in pgproxy.conf and run \"pgproxy reload\"");
            return null;
        }

        if (arguments.Problem is { } problem)
        {
            error = new AdminError("42601", problem, null);
            return null;
        }

        if (services.Checks is not { } checks)
        {
            error = new AdminError(SqlState.ObjectNotInPrerequisiteState, "pgproxy is not started", null);
            return null;
        }

        var request = new CheckRequest(null, arguments.Tables, arguments.Databases, $"PGPROXY CHECK by {session.User}");
        if (checks.TryStart(request, out var running) is not { } run)
        {
            error = new AdminError("55006",
                $"consistency check {running!.Id} is running; one check runs at a time",
                "SHOW POOL_CHECK shows its progress");
            return null;
        }

        var id = run.Id.ToString(CultureInfo.InvariantCulture);
        return $"SELECT E'consistency check {id} started: SHOW POOL_CHECK shows its progress and findings'::text AS result, " +
               $"'{id}'::text AS run_id";
    }
}

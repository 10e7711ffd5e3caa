using System.Globalization;
using Microsoft.Extensions.Logging;
using Pgproxy.Core.Admin;
using Pgproxy.Core.Backends;
using Pgproxy.Core.Consistency;
using Pgproxy.Protocol.Messages;

namespace Pgproxy.Core.Operations;

/// <summary>
/// <c>PGPROXY ATTACH NODE n</c> of a node that is down (issue 14): before it takes writes again it is compared with
/// main by a consistency check, and refused — naming the tables that differ and pointing to recovery — when it
/// differs. A node is down because writes stopped reaching it, so it matches main only if no write committed on
/// main since: the check compares at a cut, and the attach itself happens with the write gate closed after checking
/// that no commit passed the gate since that cut (one did: the node lacks it). FORCE attaches without checking, and
/// says so in the event's reason.
/// </summary>
internal static partial class AttachCommand
{
    public static async Task<AdminAnswer> RunAsync(AdminArguments arguments, IAdminSession session,
        IAdminServices services)
    {
        var nodeId = arguments.NodeId;
        var node = nodeId >= 0 ? services.Nodes.Find(nodeId) : null;
        if (arguments.Force || node is not { Status: BackendStatus.Down } || services.Checks is not { } checks
            || services.Nodes.MainNode is null || session.TransactionState == TransactionStatus.Failed
            || !NodeCommands.IsAdmin(session.User, services.Options.AdminUsers))
        {
            return Plain(arguments, session, services);
        }

        var logger = services.LoggerFactory.CreateLogger("Pgproxy.Admin");
        var run = await checks.RunAsync(new CheckRequest(nodeId, [], [], $"ATTACH NODE {nodeId} by {session.User}",
            Attach: true), services.Shutdown.Token);
        if (run is null)
        {
            return Refuse(arguments, logger, nodeId, "55006",
                $"cannot attach node {nodeId} now: consistency check {checks.Latest?.Id} is running",
                "try again when SHOW POOL_CHECK says it has ended");
        }

        switch (run.State)
        {
            case CheckState.Failed:
                return Refuse(arguments, logger, nodeId, SqlState.ObjectNotInPrerequisiteState,
                    $"cannot attach node {nodeId}: it could not be compared with main: {run.Error}",
                    $"PGPROXY ATTACH NODE {nodeId} FORCE attaches it without comparing");
            case CheckState.Differs when run.Findings.Any(f => f.DataDiffers):
                var tables = run.DifferingTables();
                return Refuse(arguments, logger, nodeId, SqlState.ObjectNotInPrerequisiteState,
                    $"cannot attach node {nodeId}: it differs from main (node {run.NodeIds[0]}) in {tables.Count} " +
                    $"table(s): {string.Join(", ", tables.Take(10))}{(tables.Count > 10 ? ", …" : "")} " +
                    $"(consistency check {run.Id}; SHOW POOL_CHECK lists the differences)",
                    $"bring it back with PGPROXY RECOVER NODE {nodeId}, which copies it from main, or attach it as " +
                    $"it is with PGPROXY ATTACH NODE {nodeId} FORCE");
            default:
                break;
        }

        // Identical at the cut. Attach with commits held, and only if none passed the gate since the cut.
        var closing = await services.WriteGate.CloseAsync(TimeSpan.FromMilliseconds(services.Options.WriteGateTimeout),
            services.Shutdown.Token);
        if (closing.Closure is not { } closure)
        {
            return Refuse(arguments, logger, nodeId, SqlState.ObjectNotInPrerequisiteState,
                $"cannot attach node {nodeId}: {closing.Failure}", "try again");
        }

        using (closure)
        {
            var since = services.WriteGate.Commits - run.CommitsAtCut;
            if (since > 0)
            {
                return Refuse(arguments, logger, nodeId, SqlState.ObjectNotInPrerequisiteState,
                    $"cannot attach node {nodeId}: {since.ToString(CultureInfo.InvariantCulture)} transaction(s) " +
                    $"committed on main while it was being compared, and node {nodeId} does not have them",
                    $"bring it back with PGPROXY RECOVER NODE {nodeId}, which copies it from main and catches up " +
                    "while clients write");
            }

            Log.Checked(logger, nodeId, run.Id);
            return Plain(arguments, session, services);
        }
    }

    private static AdminAnswer Plain(AdminArguments arguments, IAdminSession session, IAdminServices services)
    {
        var sql = NodeCommands.Run(AdminCommand.AttachNode, arguments.NodeId, session, services, out var error,
            arguments.Force);
        return new AdminAnswer(arguments, sql, error);
    }

    private static AdminAnswer Refuse(AdminArguments arguments, ILogger logger, int nodeId, string sqlState,
        string message, string hint)
    {
        Log.Refused(logger, nodeId, message);
        return new AdminAnswer(arguments, null, new AdminError(sqlState, message, hint));
    }

    private static partial class Log
    {
        [LoggerMessage(Logging.EventIds.AttachChecked, LogLevel.Information,
            "node {NodeId} matches main (consistency check {RunId}): attaching")]
        public static partial void Checked(ILogger logger, int nodeId, long runId);

        [LoggerMessage(Logging.EventIds.AttachRefused, LogLevel.Warning, "ATTACH NODE {NodeId} refused: {Message}")]
        public static partial void Refused(ILogger logger, int nodeId, string message);
    }
}

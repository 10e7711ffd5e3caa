using Pgproxy.Core.Routing;
using Pgproxy.Protocol.Frontend;

namespace Pgproxy.Core.Replication;

internal sealed partial class GroupAnalyzer
{
    /// <summary>
    /// An Execute of a statement that may create a large object with an OID the server picks (issue 16 item 5).
    /// Main's OID reaches the others through the Bind (<see cref="LargeObjectBind"/>) when the OID is a parameter
    /// the group binds — Npgsql's <c>SELECT * FROM lo_create($1)</c> — and 0; a second such Execute in the group,
    /// or the OID left to the server in the text itself, is refused (nondeterministic_write = error).
    /// </summary>
    private GroupAnalysis NoteLargeObject(GroupAnalysis analysis, PreparedStatementInfo? info, GroupFrame? bind)
    {
        if (info?.Classification.LargeObjects is not { Refusal: null } call || analysis.Refused is not null
            || info.Kind is not (StatementKind.Write or StatementKind.WriteOutsideTransaction))
        {
            return analysis;
        }

        var plan = call.Parameter > 0 && bind is { } frame
            ? LargeObjectBind.Plan(frame, _group.Frame(frame), call.Parameter)
            : null;
        if (plan is null && call.Parameter > 0 && bind is not null)
        {
            return analysis; // the Bind gives the OID: every node creates that one
        }

        if (plan is null || analysis.LargeObject is not null)
        {
            if (_policy.RefuseNondeterministic)
            {
                analysis.Refused = ExtendedLargeObjectRefusal(call.Function);
                analysis.RefusedStatement = info;
            }

            return analysis;
        }

        analysis.LargeObject = plan;
        return analysis;
    }

    /// <summary>The group's last Bind when it made the portal <paramref name="execute"/> runs; null otherwise.</summary>
    private GroupFrame? BoundPortal(GroupFrame? bind, GroupFrame execute) =>
        bind is { } frame && BindMessage.Read(_group.Frame(frame)[5..]).PortalName
            .SequenceEqual(ExecuteMessage.Read(_group.Frame(execute)[5..]).PortalName)
            ? frame
            : null;

    private static string ExtendedLargeObjectRefusal(string function) =>
        $"pgproxy refuses {function}() in the extended protocol where the server picks the large object's OID: " +
        "the OID would differ between nodes (nondeterministic_write = error); pass the OID as a parameter " +
        "(SELECT * FROM lo_create($1) with 0 gets main's OID on every node), give it explicitly, or send the " +
        "call as a simple query";
}

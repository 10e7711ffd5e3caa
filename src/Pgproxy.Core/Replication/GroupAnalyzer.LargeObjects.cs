using Pgproxy.Core.Routing;
using Pgproxy.Protocol.Frontend;

namespace Pgproxy.Core.Replication;

internal sealed partial class GroupAnalyzer
{
    /// <summary>
    /// An Execute of a statement that may create a large object with an OID the server picks (issue 16 item 5).
    /// Main's OID reaches the others through the group's own messages (<see cref="GroupLargeObject"/>): the Bind
    /// when a parameter gives the OID as 0 (Npgsql's <c>SELECT * FROM lo_create($1)</c>), the Parse when the text
    /// asks (<c>SELECT lo_creat(-1)</c>: the group must parse it, or the others would run it as parsed before). A
    /// second such Execute in the group, or a portal bound in an earlier one, is refused (nondeterministic_write).
    /// </summary>
    private GroupAnalysis NoteLargeObject(GroupAnalysis analysis, PreparedStatementInfo? info, GroupFrame? bind)
    {
        if (info?.Classification.LargeObjects is not { Refusal: null } call || analysis.Refused is not null
            || info.Kind is not (StatementKind.Write or StatementKind.WriteOutsideTransaction))
        {
            return analysis;
        }

        GroupLargeObject? plan = null;
        if (bind is { } bound && call.Parameter > 0)
        {
            plan = GroupLargeObject.ForBind(bound, _group.Frame(bound), call.Parameter);
            if (plan is null)
            {
                return analysis; // the Bind gives the OID: every node creates that one
            }
        }
        else if (bind is { } boundText && DefiningParse(info) is { } parse)
        {
            plan = GroupLargeObject.ForParse(parse, _group.Frame(parse), call, _group.Frame(boundText));
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

    /// <summary>The group's Parse of <paramref name="info"/>, if the group parses it.</summary>
    private GroupFrame? DefiningParse(PreparedStatementInfo info)
    {
        foreach (var (frame, defined) in _defined)
        {
            if (defined == info)
            {
                return frame;
            }
        }

        return null;
    }

    /// <summary>The group's last Bind when it made the portal <paramref name="execute"/> runs; null otherwise.</summary>
    private GroupFrame? BoundPortal(GroupFrame? bind, GroupFrame execute) =>
        bind is { } frame && BindMessage.Read(_group.Frame(frame)[5..]).PortalName
            .SequenceEqual(ExecuteMessage.Read(_group.Frame(execute)[5..]).PortalName)
            ? frame
            : null;

    private static string ExtendedLargeObjectRefusal(string function) =>
        $"pgproxy refuses {function}() where the server picks the large object's OID in a portal this group does " +
        "not bind, or with another such call in the group: the OID would differ between nodes " +
        "(nondeterministic_write = error); bind and execute it in a group of its own, or give the OID";
}

using System.Text;
using Pgproxy.Core.Routing;
using Pgproxy.Protocol.Frontend;
using Pgproxy.Protocol.Messages;

namespace Pgproxy.Core.Replication;

/// <summary>
/// An UPDATE or DELETE that compares xmin with a value, as EF Core checks its concurrency token
/// (<c>WHERE "Id" = $1 AND xmin = $2</c>, see RowVersionScanner). The value is main's (reads of xmin go to main), and
/// each node numbers its transactions itself, so on the others it matched nothing and the nodes changed different
/// numbers of rows (XX001). Main runs the statement as written; the others get each comparison made true when main's
/// Execute of it changed rows (or failed), false when it changed none: they change the rows main changed.
/// </summary>
internal sealed partial class GroupRunner
{
    /// <summary>The others' Parse of a statement with xmin checks, or null when it has none.</summary>
    private byte[]? RowVersionParseFrame(ReadOnlySpan<byte> frame, PreparedStatementInfo info, int from)
    {
        var checks = info.Classification.RowVersionChecks;
        if (checks.Count == 0 || _nodes.MainOrNull is not { } main)
        {
            return null;
        }

        var parse = ParseMessage.Read(frame[5..]);
        var matched = !main.Summary.ChangedNoRows(ExecuteOrdinal(parse.StatementName, from));
        return OthersFrames.ParseFrameWithQuery(frame,
            RowVersionScanner.Resolved(Encoding.UTF8.GetString(parse.Query), checks, matched));
    }

    /// <summary>
    /// Which of the group's Executes (counted from 0) first runs statement <paramref name="name"/> bound at or after
    /// frame <paramref name="from"/>; -1 when none does.
    /// </summary>
    private int ExecuteOrdinal(ReadOnlySpan<byte> name, int from)
    {
        var executes = 0;
        byte[]? portal = null;
        for (var i = 0; i < Group.Frames.Count; i++)
        {
            var frame = Group.Frames[i];
            if (frame.Type == FrontendMessageType.Bind && portal is null && i >= from)
            {
                var bind = BindMessage.Read(Group.Frame(frame)[5..]);
                if (bind.StatementName.SequenceEqual(name))
                {
                    portal = bind.PortalName.ToArray();
                }
            }
            else if (frame.Type == FrontendMessageType.Execute)
            {
                if (portal is not null && ExecuteMessage.Read(Group.Frame(frame)[5..]).PortalName.SequenceEqual(portal))
                {
                    return executes;
                }

                executes++;
            }
        }

        return -1;
    }
}

using System.Buffers;
using Pgproxy.Core.Admin;
using Pgproxy.Protocol.Messages;

namespace Pgproxy.Core.Replication;

internal sealed partial class GroupRunner
{
    /// <summary>
    /// The answers of the group's admin Parses that must read the nodes first (a checked ATTACH), worked out before
    /// <see cref="RewriteAdminParses"/>, which cannot wait.
    /// </summary>
    private async Task PrepareAdminParsesAsync()
    {
        foreach (var frame in Group.Frames)
        {
            if (frame.Type == FrontendMessageType.Parse && frame.Length - 5 <= AdminCommandParser.MaxFrameBody)
            {
                var body = Group.Frame(frame)[5..];
                var nameEnd = body.IndexOf((byte)0);
                if (nameEnd >= 0 && AdminCommandParser.Parse(body[(nameEnd + 1)..]) == AdminCommand.AttachNode)
                {
                    var query = body[(nameEnd + 1)..];
                    await _host.PrepareAdminAsync(query[..(query.IndexOf((byte)0) + 1)].ToArray());
                }
            }
        }
    }

    /// <summary>SHOW POOL_* in a Parse (Npgsql, JDBC): rewritten in place like the simple-query form.</summary>
    private void RewriteAdminParses()
    {
        var needed = false;
        foreach (var frame in Group.Frames)
        {
            if (frame.Type == FrontendMessageType.Parse && frame.Length - 5 <= AdminCommandParser.MaxFrameBody
                                                       && IsAdminParse(Group.Frame(frame)))
            {
                needed = true;
                break;
            }
        }

        if (!needed)
        {
            return;
        }

        var rebuilt = new ArrayBufferWriter<byte>();
        var types = new List<byte>();
        var lengths = new List<int>();
        foreach (var frame in Group.Frames)
        {
            var start = rebuilt.WrittenCount;
            var span = Group.Frame(frame);
            AdminError? error = null;
            if (!(frame.Type == FrontendMessageType.Parse && span.Length - 5 <= AdminCommandParser.MaxFrameBody
                                                        && _host.RewriteAdminCommand(span, frame.Type, rebuilt,
                                                            out error)))
            {
                rebuilt.Write(span);
            }

            _adminError ??= error;

            types.Add(frame.Type);
            lengths.Add(rebuilt.WrittenCount - start);
        }

        Group.Clear();
        var offset = 0;
        for (var i = 0; i < types.Count; i++)
        {
            Group.Add(new ReadOnlySequence<byte>(rebuilt.WrittenMemory.Slice(offset, lengths[i])),
                types[i]);
            offset += lengths[i];
        }
    }

    private static bool IsAdminParse(ReadOnlySpan<byte> frame)
    {
        var body = frame[5..];
        var nameEnd = body.IndexOf((byte)0);
        return nameEnd >= 0 && AdminCommandParser.Parse(body[(nameEnd + 1)..]) != AdminCommand.None;
    }
}

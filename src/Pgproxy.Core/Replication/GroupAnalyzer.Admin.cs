using System.Buffers;
using Pgproxy.Core.Admin;
using Pgproxy.Protocol.Messages;

namespace Pgproxy.Core.Replication;

/// <summary>Admin commands (SHOW POOL_*, ATTACH NODE…) sent in a Parse, as Npgsql and JDBC send everything.</summary>
internal sealed partial class GroupAnalyzer
{
    /// <summary>
    /// Rewrites the group's admin Parses into the queries that answer them; returns the error of a refused one (a
    /// refused ATTACH/DETACH NODE), which answers the whole group.
    /// </summary>
    public async Task<AdminError?> RewriteAdminParsesAsync()
    {
        await PrepareAdminParsesAsync();
        return RewriteAdminParses();
    }

    /// <summary>
    /// The answers of the group's admin Parses that must read the nodes first (a checked ATTACH), worked out before
    /// <see cref="RewriteAdminParses"/>, which cannot wait.
    /// </summary>
    private async Task PrepareAdminParsesAsync()
    {
        foreach (var frame in _group.Frames)
        {
            if (frame.Type == FrontendMessageType.Parse && frame.Length - 5 <= AdminCommandParser.MaxFrameBody)
            {
                var body = _group.Frame(frame)[5..];
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
    private AdminError? RewriteAdminParses()
    {
        var needed = false;
        foreach (var frame in _group.Frames)
        {
            if (frame.Type == FrontendMessageType.Parse && frame.Length - 5 <= AdminCommandParser.MaxFrameBody
                                                       && IsAdminParse(_group.Frame(frame)))
            {
                needed = true;
                break;
            }
        }

        if (!needed)
        {
            return null;
        }

        AdminError? refused = null;
        var rebuilt = new ArrayBufferWriter<byte>();
        var types = new List<byte>();
        var lengths = new List<int>();
        foreach (var frame in _group.Frames)
        {
            var start = rebuilt.WrittenCount;
            var span = _group.Frame(frame);
            AdminError? error = null;
            if (!(frame.Type == FrontendMessageType.Parse && span.Length - 5 <= AdminCommandParser.MaxFrameBody
                                                        && _host.RewriteAdminCommand(span, frame.Type, rebuilt,
                                                            out error)))
            {
                rebuilt.Write(span);
            }

            refused ??= error;

            types.Add(frame.Type);
            lengths.Add(rebuilt.WrittenCount - start);
        }

        _group.Clear();
        var offset = 0;
        for (var i = 0; i < types.Count; i++)
        {
            _group.Add(new ReadOnlySequence<byte>(rebuilt.WrittenMemory.Slice(offset, lengths[i])),
                types[i]);
            offset += lengths[i];
        }

        return refused;
    }

    private static bool IsAdminParse(ReadOnlySpan<byte> frame)
    {
        var body = frame[5..];
        var nameEnd = body.IndexOf((byte)0);
        return nameEnd >= 0 && AdminCommandParser.Parse(body[(nameEnd + 1)..]) != AdminCommand.None;
    }
}

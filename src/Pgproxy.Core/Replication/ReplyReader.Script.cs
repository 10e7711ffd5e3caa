using System.Buffers;
using Pgproxy.Protocol.Messages;

namespace Pgproxy.Core.Replication;

/// <summary>The replies to a merged script of held-back statements (<see cref="HeldScript"/>).</summary>
internal sealed partial class ReplyReader
{
    /// <summary>True while the replies being read are a merged script's stand-ins, not the node's.</summary>
    private bool _readingSynthetic;

    /// <summary>
    /// Reads the replies the link's script gives in place of those PostgreSQL sends once for the whole Query (a
    /// ReadyForQuery after each statement, the answers to statements skipped after an error), exactly as if the node
    /// had sent them; what an end of the read leaves is kept for the next read.
    /// </summary>
    private ReplyEnd? ProcessSynthetic(NodeLink link, bool forward, bool summarize, ReplyStop stop)
    {
        var replies = new ReadOnlySequence<byte>(link.Script.Synthetic!);
        link.Script.Synthetic = null;
        ReplyEnd? end;
        _readingSynthetic = true;
        try
        {
            end = ProcessReplies(link, ref replies, forward, summarize, stop);
        }
        finally
        {
            _readingSynthetic = false;
        }

        if (!replies.IsEmpty)
        {
            link.Script.Synthetic = replies.ToArray();
        }

        return end;
    }

    /// <summary>A reply the node sent, read whole: it may end a statement of the script in flight.</summary>
    private void NoteScriptReply(NodeLink link, BackendMessageType type)
    {
        if (link.Script.AwaitsReplies && !_readingSynthetic && link.ReplyRemaining == 0)
        {
            link.Script.Note(type, link.Status);
        }
    }
}

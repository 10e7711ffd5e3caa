using System.Buffers;
using Pgproxy.Core.Sessions;

namespace Pgproxy.Core.Replication;

internal sealed partial class ReplicationSession
{
    /// <summary>
    /// A notice main sent while running a query pgproxy injected. The one that matters is the COMMIT of the
    /// internal transaction around an autocommit write: deferred triggers and constraints run there, and what they
    /// RAISE NOTICE the client sees directly, before the statement's CommandComplete (PostgreSQL commits an
    /// implicit transaction before it reports the command). The notice joins the statement's answer, which is
    /// still held at that point, behind the statement's own notices (ahead of them it reordered foreign_key's
    /// NOTICE lines); a client reading up to ReadyForQuery sees PostgreSQL's order of notices, though the
    /// CommandComplete now precedes them. Should the COMMIT fail, they go with the held result, as the error
    /// replaces it. The others' copies are dropped, as for a statement's own notices.
    /// </summary>
    private void ForwardCommitNotice(NodeLink link, in ReadOnlySequence<byte> frame)
    {
        if (link == MainOrNull && _forwardNotices)
        {
            FrameCopy.Copy(frame, AnswerSink);
        }
    }
}

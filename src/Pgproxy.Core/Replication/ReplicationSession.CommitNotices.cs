using System.Buffers;
using Pgproxy.Core.Sessions;

namespace Pgproxy.Core.Replication;

internal sealed partial class ReplicationSession
{
    /// <summary>
    /// A notice main sent while running a query pgproxy injected. The one that matters is the COMMIT of the
    /// internal transaction around an autocommit write: deferred triggers and constraints run there, and what they
    /// RAISE NOTICE the client sees directly, before the statement's CommandComplete (PostgreSQL commits an
    /// implicit transaction before it reports the command). The statement's answer is still held at that point, so
    /// the notice goes straight out ahead of it, in PostgreSQL's order. The others' copies are dropped, as for a
    /// statement's own notices.
    /// </summary>
    private void ForwardCommitNotice(NodeLink link, in ReadOnlySequence<byte> frame)
    {
        if (link == MainOrNull && _forwardNotices)
        {
            FrameCopy.Copy(frame, _client.Output);
        }
    }
}

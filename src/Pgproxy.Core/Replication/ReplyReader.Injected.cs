using System.Buffers;
using Pgproxy.Core.Transport;
using Pgproxy.Protocol.Backend;
using Pgproxy.Protocol.Framing;
using Pgproxy.Protocol.Messages;

namespace Pgproxy.Core.Replication;

/// <summary>The replies to what pgproxy injected, and the messages that reach the client whoever asked for them.</summary>
internal sealed partial class ReplyReader
{
    /// <summary>
    /// Swallows the next message when it answers something pgproxy injected. Returns false when the message is
    /// the client's after all (an error that ended an injected Parse, for instance, is the client's to see).
    /// </summary>
    private bool TrySwallow(NodeLink link, ref ReadOnlySequence<byte> buffer, in FrameHeader header,
        BackendMessageType type, ReplyStop stop, out ReplyEnd? end)
    {
        end = null;
        Span<byte> scratch = stackalloc byte[256];
        var head = link.Injected.Peek();
        switch (head)
        {
            case InjectedReply.QueryCycle or InjectedReply.ControlCycle or InjectedReply.EndCycle
                or InjectedReply.NowQueryCycle
                or InjectedReply.DefaultsQueryCycle or InjectedReply.XidQueryCycle or InjectedReply.OidQueryCycle
                or InjectedReply.LockQueryCycle
                or InjectedReply.SessionLockQueryCycle or InjectedReply.UnlockQueryCycle:
                switch (type)
                {
                    case BackendMessageType.ReadyForQuery:
                        link.Status = ReadyForQueryMessage.Read(Body(buffer, header, scratch));
                        link.SkipsToSync = false; // it ran: the node was not skipping
                        link.Injected.Dequeue();
                        NoteCycleEnd(link, head);
                        break;
                    case BackendMessageType.ErrorResponse:
                        link.SwallowedError = buffer.Slice(0, header.TotalLength).ToArray();
                        link.InjectedFailure = link.SwallowedError;
                        if (head == InjectedReply.UnlockQueryCycle)
                        {
                            link.SessionLocks.UnlockFailed();
                        }

                        break;
                    case BackendMessageType.DataRow when head == InjectedReply.NowQueryCycle:
                        MainNow = ReadFirstColumn(Body(buffer, header, scratch));
                        break;
                    case BackendMessageType.DataRow when head == InjectedReply.DefaultsQueryCycle:
                        MainDefaults = ReadFirstColumn(Body(buffer, header, scratch));
                        break;
                    case BackendMessageType.DataRow when head == InjectedReply.XidQueryCycle:
                        var row = Body(buffer, header, scratch);
                        MainXid = ReadFirstColumn(row);
                        MainNow = ReadColumn(row, 1);
                        break;
                    case BackendMessageType.DataRow when head == InjectedReply.OidQueryCycle:
                        link.DrawnOid = ReadFirstColumn(Body(buffer, header, scratch));
                        break;
                    case BackendMessageType.DataRow when head == InjectedReply.LockQueryCycle:
                        link.LockedTableOid = ReadFirstColumn(Body(buffer, header, scratch));
                        break;
                    case BackendMessageType.DataRow when head == InjectedReply.SessionLockQueryCycle:
                        link.LockedTableOid = ReadFirstColumn(Body(buffer, header, scratch));
                        link.SessionLocks.Locked(link.LockedTableOid);
                        break;
                    case BackendMessageType.ParameterStatus:
                        NoteParameter(link, Body(buffer, header, scratch));
                        break;
                    case BackendMessageType.NotificationResponse:
                        ForwardNotification(link, buffer.Slice(0, header.TotalLength));
                        break;
                    case BackendMessageType.NoticeResponse
                        when head is InjectedReply.QueryCycle or InjectedReply.ControlCycle or InjectedReply.EndCycle:
                        ForwardCommitNotice(link, buffer.Slice(0, header.TotalLength));
                        break;
                    default:
                        break;
                }

                Skip(link, ref buffer, header);
                if (link.Injected.Count == 0 && stop == ReplyStop.UntilDrained)
                {
                    end = ReplyEnd.Drained;
                }

                return true;
            case InjectedReply.ParseComplete when type == BackendMessageType.ParseComplete:
            case InjectedReply.CloseComplete when type == BackendMessageType.CloseComplete:
                link.Injected.Dequeue();
                Skip(link, ref buffer, header);
                if (link.Injected.Count == 0 && stop == ReplyStop.UntilDrained)
                {
                    end = ReplyEnd.Drained;
                }

                return true;
            default:
                return false;
        }
    }

    /// <summary>
    /// After a read that drained what pgproxy injected: when one of its COMMITs or ROLLBACKs left the node's
    /// transaction open and failed (a cancel that met it within CancelHold's window), a ROLLBACK is sent at once
    /// and read too, so the request does not end with the node failed and the client told so (ReadyForQuery E
    /// after an autocommit statement). Twice at most: one cancel fails one statement.
    /// </summary>
    private static async ValueTask<bool> RolledBackAgainAsync(NodeLink link, ReplyEnd end, int attempt)
    {
        if (end != ReplyEnd.Drained || !link.RollbackOwed || link.Status != TransactionStatus.Failed || attempt > 2)
        {
            return false;
        }

        link.Inject(InjectedQueries.Rollback, InjectedReply.QueryCycle);
        await WritePath.FlushLinkAsync(link);
        return true;
    }

    /// <summary>
    /// The end of a BEGIN pgproxy sent (CancelHold), or of insert_lock's session-level lock query or of its release
    /// (SessionInsertLocks).
    /// </summary>
    private static void NoteCycleEnd(NodeLink link, InjectedReply head)
    {
        if (head == InjectedReply.ControlCycle)
        {
            link.Backend.CancelHold.Release();
        }
        else if (head == InjectedReply.EndCycle)
        {
            link.Backend.CancelHold.Release();
            link.RollbackOwed = link.Status == TransactionStatus.Failed;
        }
        else if (head == InjectedReply.SessionLockQueryCycle)
        {
            link.SessionLocks.LockAnswered();
        }
        else if (head == InjectedReply.UnlockQueryCycle)
        {
            link.Backend.CancelHold.Release();
            link.SessionLocks.UnlockAnswered();
        }
    }

    /// <summary>
    /// A notification for the client's LISTEN. PostgreSQL sends it before whichever ReadyForQuery ends a transaction of
    /// the session — often that of a COMMIT or catalog query pgproxy injected, or of an answer it only drains — so
    /// main's copy is passed on whatever reply it came with (it carries the notifier's pid on main, as the client's
    /// own pid is main's). Every node runs the LISTEN and the NOTIFY: the other nodes' copies are dropped.
    /// </summary>
    public void ForwardNotification(NodeLink link, in ReadOnlySequence<byte> frame)
    {
        if (link == main())
        {
            FrameCopy.Copy(frame, client);
        }
    }

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
        if (link == main())
        {
            FrameCopy.Copy(frame, answer.Sink);
        }
    }

    /// <summary>
    /// The error of timing (a cancel, statement_timeout, lock_timeout, a deadlock) that a query pgproxy injected met,
    /// when the node now answers the client's statement with 25P02 because of it: the client sees that error
    /// instead, as PostgreSQL would have failed the statement itself with it. The usual case is a cancel that lands
    /// while main waits for insert_lock's lock: directly the INSERT would have been cancelled there (57014); through
    /// pgproxy an autocommit INSERT got "current transaction is aborted". Taken, so only the first 25P02 is replaced.
    /// </summary>
    private static (byte[] Frame, ErrorResponseMessage Fields)? TakeInjectedCause(NodeLink link, string? sqlState)
    {
        if (link.InjectedFailure is not { } frame || sqlState != "25P02")
        {
            return null;
        }

        link.InjectedFailure = null;
        var fields = ErrorResponseMessage.Parse(frame.AsSpan(5));
        return Divergence.IsOfTiming(fields.SqlState) ? (frame, fields) : null;
    }

    /// <summary>Passes <paramref name="frame"/> on instead of the message at the head of the buffer.</summary>
    private void PassOnInstead(NodeLink link, ref ReadOnlySequence<byte> buffer, in FrameHeader header, bool forward,
        byte[] frame)
    {
        var substitute = new ReadOnlySequence<byte>(frame);
        FrameReader.TryReadHeader(substitute, out var substituteHeader);
        PassOn(link, ref substitute, substituteHeader, forward);
        Skip(link, ref buffer, header);
    }

    /// <summary>An error or ReadyForQuery ends an extended group: completions of injected Parse/Close that PostgreSQL
    /// skipped will never come, so stop waiting for them (a pending query cycle still comes).</summary>
    private static void ClearExtendedInjections(NodeLink link)
    {
        while (link.Injected.Count > 0 && link.Injected.Peek() is InjectedReply.ParseComplete
                   or InjectedReply.CloseComplete)
        {
            link.Injected.Dequeue();
        }
    }
}

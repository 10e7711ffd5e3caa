using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using Pgproxy.Core.Sessions;
using Pgproxy.Protocol.Backend;
using Pgproxy.Protocol.Framing;
using Pgproxy.Protocol.Messages;

namespace Pgproxy.Core.Replication;

internal sealed partial class ReplicationSession
{
    /// <summary>Flush to the client mid-result once this much is buffered, so big results stream.</summary>
    private const int MaxUnflushedBytes = 64 * 1024;

    /// <summary>Completion messages still expected from the node serving a Flush-ended group.</summary>
    private int _completionsLeft;

    /// <summary>
    /// Reads one node's replies until <paramref name="stop"/>: swallows the replies to what pgproxy injected,
    /// forwards the rest to the client when <paramref name="forward"/> (only the node whose answer the client
    /// sees), and records what must agree between nodes in the link's summary when <paramref name="summarize"/>.
    /// The ReadyForQuery that ends the client's request is never forwarded here: the caller writes the status
    /// the client must see once every node is done.
    /// </summary>
    private async ValueTask<ReplyEnd> ReadRepliesAsync(NodeLink link, bool forward, bool summarize, ReplyStop stop)
    {
        if (stop == ReplyStop.UntilDrained && link.Injected.Count == 0)
        {
            return ReplyEnd.Drained;
        }

        var input = link.Input;
        while (true)
        {
            System.IO.Pipelines.ReadResult result;
            var bounded = IsAnswerBounded(link);
            try
            {
                if (bounded)
                {
                    ArmAnswerTimer(link); // replication_answer_timeout: an other node lagging behind main
                }

                result = await input.ReadAsync();
            }
            catch (Exception e) when (IsNodeFailure(e) && e is not NodeFailureException)
            {
                throw new NodeFailureException(link,
                    LostReason(link, $"reading from backend node {link.NodeId} failed: {e.Message}"), e);
            }
            finally
            {
                if (bounded)
                {
                    DisarmAnswerTimer();
                }
            }

            var buffer = result.Buffer;
            ReplyEnd? end;
            try
            {
                end = ProcessReplies(link, ref buffer, forward, summarize, stop);
            }
            catch (BackendTerminatedException e)
            {
                throw await JudgeTerminationAsync(e);
            }

            if (end is { } done)
            {
                input.AdvanceTo(buffer.Start);
                return done;
            }

            input.AdvanceTo(buffer.Start, result.Buffer.End);
            if (forward && _client.Output.UnflushedBytes >= MaxUnflushedBytes)
            {
                await _client.Output.FlushAsync();
            }

            if (result.IsCompleted || result.IsCanceled)
            {
                throw new NodeFailureException(link,
                    LostReason(link, $"backend node {link.NodeId} closed the connection"));
            }
        }
    }

    /// <summary>
    /// Why a link's connection ended: when its node was degenerated meanwhile (the health check found it frozen,
    /// say), the connection was aborted for that reason, which tells the client more than a closed socket.
    /// </summary>
    private static string LostReason(NodeLink link, string failure) =>
        link.Node.Status == Backends.BackendStatus.Down && !link.Detached
            ? $"backend node {link.NodeId} was taken out: {link.Node.LastStatusReason}"
            : failure;

    private ReplyEnd? ProcessReplies(NodeLink link, ref ReadOnlySequence<byte> buffer, bool forward, bool summarize,
        ReplyStop stop)
    {
        Span<byte> scratch = stackalloc byte[512];
        while (true)
        {
            if (link.ReplyRemaining > 0)
            {
                var piece = Math.Min(link.ReplyRemaining, buffer.Length);
                if (piece == 0)
                {
                    return null;
                }

                if (link.ReplyRemainingForwarded)
                {
                    FrameCopy.Copy(buffer.Slice(0, piece), AnswerSink);
                }

                buffer = buffer.Slice(piece);
                link.ReplyRemaining -= piece;
                continue;
            }

            if (!FrameReader.TryReadHeader(buffer, out var header))
            {
                return null;
            }

            var type = (BackendMessageType)header.Type;
            if (buffer.Length < header.TotalLength && (NeedsWholeMessage(type)
                    || (link.Injected.Count > 0 && type is BackendMessageType.DataRow)))
            {
                return null;
            }

            if (type == BackendMessageType.ErrorResponse)
            {
                ThrowIfBackendEnding(link, buffer, header, scratch); // an injected query's answer too
            }

            if (link.Injected.Count > 0 && TrySwallow(link, ref buffer, header, type, stop, out var swallowEnd))
            {
                if (swallowEnd is not null)
                {
                    return swallowEnd;
                }

                continue;
            }

            switch (type)
            {
                case BackendMessageType.ReadyForQuery:
                    link.Status = ReadyForQueryMessage.Read(Body(buffer, header, scratch));
                    buffer = buffer.Slice(header.TotalLength);
                    ClearExtendedInjections(link);
                    if (stop == ReplyStop.UntilCompletions)
                    {
                        // A Sync ended the group early; nothing more will come for it.
                        return ReplyEnd.Completed;
                    }

                    return ReplyEnd.Ready;
                case BackendMessageType.ErrorResponse:
                    link.Node.Statistics.CountReply(type, buffer);
                    var error = ErrorResponseMessage.Parse(Body(buffer, header, scratch));
                    if (summarize)
                    {
                        link.Summary.AddError(error.SqlState, error.Message);
                    }

                    ClearExtendedInjections(link);
                    _completionsLeft = 0;
                    break;
                case BackendMessageType.CommandComplete:
                    link.Node.Statistics.CountReply(type, buffer);
                    if (summarize)
                    {
                        link.Summary.AddCommandComplete(
                            CommandCompleteMessage.ReadTagBytes(Body(buffer, header, scratch)));
                    }

                    _completionsLeft--;
                    break;
                case BackendMessageType.ParameterStatus:
                    var (name, value) = ParameterStatusMessage.Read(Body(buffer, header, scratch));
                    link.Backend.SetParameter(name, value);
                    break;
                case BackendMessageType.NotificationResponse:
                    ForwardNotification(link, buffer.Slice(0, header.TotalLength));
                    buffer = buffer.Slice(header.TotalLength);
                    continue;
                case BackendMessageType.CopyInResponse:
                    if (summarize)
                    {
                        link.Summary.AddKind('G');
                    }

                    PassOn(link, ref buffer, header, forward);
                    return ReplyEnd.CopyIn;
                case BackendMessageType.EmptyQueryResponse or BackendMessageType.PortalSuspended:
                    if (summarize)
                    {
                        link.Summary.AddKind((char)type);
                    }

                    _completionsLeft--;
                    break;
                case BackendMessageType.ParseComplete or BackendMessageType.BindComplete
                    or BackendMessageType.CloseComplete or BackendMessageType.NoData
                    or BackendMessageType.RowDescription:
                    _completionsLeft--;
                    break;
                case BackendMessageType.NoticeResponse:
                    PassOn(link, ref buffer, header, forward && _forwardNotices);
                    continue;
                default:
                    break;
            }

            PassOn(link, ref buffer, header, forward);
            if (stop == ReplyStop.UntilCompletions && _completionsLeft <= 0)
            {
                return ReplyEnd.Completed;
            }
        }
    }

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
            case InjectedReply.QueryCycle or InjectedReply.NowQueryCycle or InjectedReply.DefaultsQueryCycle
                or InjectedReply.XidQueryCycle:
                switch (type)
                {
                    case BackendMessageType.ReadyForQuery:
                        link.Status = ReadyForQueryMessage.Read(Body(buffer, header, scratch));
                        link.Injected.Dequeue();
                        break;
                    case BackendMessageType.ErrorResponse:
                        link.SwallowedError = buffer.Slice(0, header.TotalLength).ToArray();
                        break;
                    case BackendMessageType.DataRow when head == InjectedReply.NowQueryCycle:
                        _mainNow = ReadFirstColumn(Body(buffer, header, scratch));
                        break;
                    case BackendMessageType.DataRow when head == InjectedReply.DefaultsQueryCycle:
                        _mainDefaults = ReadFirstColumn(Body(buffer, header, scratch));
                        break;
                    case BackendMessageType.DataRow when head == InjectedReply.XidQueryCycle:
                        _mainXid = ReadFirstColumn(Body(buffer, header, scratch));
                        break;
                    case BackendMessageType.ParameterStatus:
                        var (name, value) = ParameterStatusMessage.Read(Body(buffer, header, scratch));
                        link.Backend.SetParameter(name, value);
                        break;
                    case BackendMessageType.NotificationResponse:
                        ForwardNotification(link, buffer.Slice(0, header.TotalLength));
                        break;
                    case BackendMessageType.NoticeResponse when head == InjectedReply.QueryCycle:
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
    /// A notification for the client's LISTEN. PostgreSQL sends it before whichever ReadyForQuery ends a transaction of
    /// the session — often that of a COMMIT or catalog query pgproxy injected, or of an answer it only drains — so
    /// main's copy is passed on whatever reply it came with (it carries the notifier's pid on main, as the client's
    /// own pid is main's). Every node runs the LISTEN and the NOTIFY: the other nodes' copies are dropped.
    /// </summary>
    private void ForwardNotification(NodeLink link, in ReadOnlySequence<byte> frame)
    {
        if (link == MainOrNull)
        {
            FrameCopy.Copy(frame, _client.Output);
        }
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

    private static bool NeedsWholeMessage(BackendMessageType type) => type is BackendMessageType.ReadyForQuery
        or BackendMessageType.ErrorResponse or BackendMessageType.CommandComplete
        or BackendMessageType.ParameterStatus or BackendMessageType.NotificationResponse
        or BackendMessageType.NoticeResponse;

    /// <summary>Copies the message (or what is here of it) to the client, or skips it.</summary>
    private void PassOn(NodeLink link, ref ReadOnlySequence<byte> buffer, in FrameHeader header, bool forward)
    {
        var available = Math.Min(header.TotalLength, buffer.Length);
        if (forward)
        {
            _forwarded++;
            _forwardedBytes += header.TotalLength;
            if (_holding)
            {
                NoteHeld(header.Type);
            }

            if (header.Type == (byte)BackendMessageType.ErrorResponse)
            {
                _clientErrors++;
            }

            if (_errorPositionShift != 0 && available == header.TotalLength
                && header.Type is (byte)BackendMessageType.ErrorResponse or (byte)BackendMessageType.NoticeResponse)
            {
                // A step of the client's query string: the position is in the step, the client counts from its start.
                ErrorPositionShift.Write(buffer.Slice(0, available).ToArray(), _errorPositionShift, AnswerSink);
            }
            else
            {
                FrameCopy.Copy(buffer.Slice(0, available), AnswerSink);
            }
        }

        buffer = buffer.Slice(available);
        link.ReplyRemaining = header.TotalLength - available;
        link.ReplyRemainingForwarded = forward;
    }

    private static void Skip(NodeLink link, ref ReadOnlySequence<byte> buffer, in FrameHeader header)
    {
        var available = Math.Min(header.TotalLength, buffer.Length);
        buffer = buffer.Slice(available);
        link.ReplyRemaining = header.TotalLength - available;
        link.ReplyRemainingForwarded = false;
    }

    /// <summary>The body of a complete message, copied into <paramref name="scratch"/> when it fits.</summary>
    private static ReadOnlySpan<byte> Body(in ReadOnlySequence<byte> buffer, in FrameHeader header, Span<byte> scratch)
    {
        var body = buffer.Slice(5, header.TotalLength - 5);
        if (body.IsSingleSegment)
        {
            return body.FirstSpan;
        }

        if (body.Length <= scratch.Length)
        {
            body.CopyTo(scratch);
            return scratch[..(int)body.Length];
        }

        return body.ToArray();
    }

    private static string? ReadFirstColumn(ReadOnlySpan<byte> dataRow)
    {
        if (dataRow.Length < 6 || BinaryPrimitives.ReadInt16BigEndian(dataRow) < 1)
        {
            return null;
        }

        var length = BinaryPrimitives.ReadInt32BigEndian(dataRow[2..]);
        return length < 0 || 6 + length > dataRow.Length ? null : Encoding.UTF8.GetString(dataRow.Slice(6, length));
    }
}

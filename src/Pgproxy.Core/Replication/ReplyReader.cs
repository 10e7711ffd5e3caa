using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using Pgproxy.Core.Transport;
using Pgproxy.Protocol.Backend;
using Pgproxy.Protocol.Framing;
using Pgproxy.Protocol.Messages;

namespace Pgproxy.Core.Replication;

/// <summary>
/// Reads a session's nodes' replies (DESIGN §2): the replies to what pgproxy injected are swallowed (and what they
/// carry kept: main's now(), defaults, transaction id), the node whose answer the client sees has the rest passed
/// on — into the held answer while one is held — and what must agree between nodes goes into each link's summary.
/// Only the 5-byte header is read for most messages; DataRow and RowDescription are never decoded.
/// </summary>
/// <param name="client">The client's output.</param>
/// <param name="answer">Where forwarded replies go while main's answer is held.</param>
/// <param name="deadline">Bounds the reads of the nodes other than main (replication_answer_timeout).</param>
/// <param name="main">The session's main now: only its copy of a notification reaches the client.</param>
/// <param name="judgeTermination">What a backend's FATAL 57P0x means (the node going away, or this session's loss).</param>
internal sealed partial class ReplyReader(PipeWriter client, HeldAnswer answer, AnswerDeadline deadline,
    Func<NodeLink?> main, Func<BackendTerminatedException, Task<Exception>> judgeTermination)
{
    /// <summary>Flush to the client mid-result once this much is buffered, so big results stream.</summary>
    private const int MaxUnflushedBytes = 64 * 1024;

    /// <summary>Completion messages still expected from the node serving a Flush-ended group.</summary>
    public int CompletionsLeft { get; set; }

    /// <summary>Messages forwarded to the client so far: tells whether a failed request can still be run again.</summary>
    public long Forwarded { get; private set; }

    /// <summary>Bytes of the messages counted in <see cref="Forwarded"/>: the size of main's answers.</summary>
    public long ForwardedBytes { get; private set; }

    /// <summary>ErrorResponses the client has been sent, so a step knows whether it failed.</summary>
    public long ClientErrors { get; set; }

    /// <summary>Characters of the client's string before the running step: added to error positions.</summary>
    public int ErrorPositionShift { get; set; }

    /// <summary>Main's transaction timestamp as text, captured by an injected <c>SELECT now()</c>.</summary>
    public string? MainNow { get; set; }

    /// <summary>
    /// Main's transaction id, read with the transaction's first write (or at COMMIT when it was not) for the gid of
    /// two-phase commit; "" while the pipelined question is unanswered, null when not asked.
    /// </summary>
    public string? MainXid { get; set; }

    /// <summary>The first value of a node's answer, when a write needs it (a large object's OID main picked).</summary>
    public ReplyValueCapture Capture { get; } = new();

    /// <summary>Main's values of the defaults a statement leaves out, captured by an injected query.</summary>
    public string? MainDefaults { get; set; }

    /// <summary>
    /// Reads one node's replies until <paramref name="stop"/>: swallows the replies to what pgproxy injected,
    /// forwards the rest to the client when <paramref name="forward"/> (only the node whose answer the client
    /// sees), and records what must agree between nodes in the link's summary when <paramref name="summarize"/>.
    /// The ReadyForQuery that ends the client's request is never forwarded here: the caller writes the status
    /// the client must see once every node is done.
    /// </summary>
    public async ValueTask<ReplyEnd> ReadAsync(NodeLink link, bool forward, bool summarize, ReplyStop stop)
    {
        if (stop == ReplyStop.UntilDrained && link.Injected.Count == 0)
        {
            return ReplyEnd.Drained;
        }

        var input = link.Input;
        var ends = 0;
        while (true)
        {
            if (link.Script.Synthetic is not null && link.ReplyRemaining == 0)
            {
                // Replies a merged script owes the reader (HeldScript): they may end this read with nothing more
                // coming from the node.
                var none = ReadOnlySequence<byte>.Empty;
                if (ProcessReplies(link, ref none, forward, summarize, stop) is { } early)
                {
                    if (await RolledBackAgainAsync(link, early, ++ends))
                    {
                        continue;
                    }

                    return early;
                }
            }

            System.IO.Pipelines.ReadResult result;
            var bounded = deadline.Bounds(link);
            try
            {
                if (bounded)
                {
                    deadline.Arm(link); // replication_answer_timeout: an other node lagging behind main
                }

                result = await input.ReadAsync();
            }
            catch (Exception e) when (NodeFailures.IsNodeFailure(e) && e is not NodeFailureException)
            {
                throw new NodeFailureException(link,
                    NodeFailures.LostReason(link, $"reading from backend node {link.NodeId} failed: {e.Message}"), e);
            }
            finally
            {
                if (bounded)
                {
                    deadline.Disarm();
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
                throw await judgeTermination(e);
            }

            if (end is { } done)
            {
                input.AdvanceTo(buffer.Start);
                if (await RolledBackAgainAsync(link, done, ++ends))
                {
                    continue;
                }

                return done;
            }

            input.AdvanceTo(buffer.Start, result.Buffer.End);
            if (forward && client.UnflushedBytes >= MaxUnflushedBytes)
            {
                await client.FlushAsync();
            }

            if (result.IsCompleted || result.IsCanceled)
            {
                throw new NodeFailureException(link,
                    NodeFailures.LostReason(link, $"backend node {link.NodeId} closed the connection"));
            }
        }
    }

    private ReplyEnd? ProcessReplies(NodeLink link, ref ReadOnlySequence<byte> buffer, bool forward, bool summarize,
        ReplyStop stop)
    {
        Span<byte> scratch = stackalloc byte[512];
        while (true)
        {
            if (link.Script.Synthetic is not null && link.ReplyRemaining == 0 && !_readingSynthetic)
            {
                if (ProcessSynthetic(link, forward, summarize, stop) is { } syntheticEnd)
                {
                    return syntheticEnd;
                }

                continue;
            }

            if (link.ReplyRemaining > 0)
            {
                var piece = Math.Min(link.ReplyRemaining, buffer.Length);
                if (piece == 0)
                {
                    return null;
                }

                if (link.ReplyRemainingForwarded)
                {
                    FrameCopy.Copy(buffer.Slice(0, piece), answer.Sink);
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
                    || (link.Injected.Count > 0 && type is BackendMessageType.DataRow)
                    || ReferenceEquals(link, Capture.From)))
            {
                return null;
            }

            if (type == BackendMessageType.ErrorResponse)
            {
                BackendTermination.ThrowIfEnding(link, buffer, header, scratch); // an injected query's answer too
            }

            var end = link.Injected.Count > 0 && TrySwallow(link, ref buffer, header, type, stop, out var swallowEnd)
                ? swallowEnd
                : ProcessReply(link, ref buffer, header, type, forward, summarize, stop, scratch);
            NoteScriptReply(link, type);
            if (end is not null)
            {
                return end;
            }
        }
    }

    /// <summary>
    /// A reply that is not to something pgproxy injected (whole when <see cref="NeedsWholeMessage"/>): noted in the
    /// link, passed on, and the end of the read when it is one; null to read on.
    /// </summary>
    // Inlined: ProcessReplies runs once per backend message, and splitting it must not add a call there.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ReplyEnd? ProcessReply(NodeLink link, ref ReadOnlySequence<byte> buffer, in FrameHeader header,
        BackendMessageType type, bool forward, bool summarize, ReplyStop stop, Span<byte> scratch)
    {
        switch (type)
        {
            case BackendMessageType.ReadyForQuery:
                link.Status = ReadyForQueryMessage.Read(Body(buffer, header, scratch));
                link.InjectedFailure = null; // the client's cycle ended: a later 25P02 is the client's own
                link.SkipsToSync = false;
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
                link.SkipsToSync = true;
                var cause = TakeInjectedCause(link, error.SqlState);
                if (summarize)
                {
                    var shown = cause?.Fields ?? error;
                    link.Summary.AddError(shown.SqlState, shown.Message);
                }

                ClearExtendedInjections(link);
                CompletionsLeft = 0;
                if (cause is { } injected)
                {
                    PassOnInstead(link, ref buffer, header, forward, injected.Frame);
                    return stop == ReplyStop.UntilCompletions ? ReplyEnd.Completed : null;
                }

                break;
            case BackendMessageType.CommandComplete:
                link.Node.Statistics.CountReply(type, buffer);
                if (summarize)
                {
                    link.Summary.AddCommandComplete(
                        CommandCompleteMessage.ReadTagBytes(Body(buffer, header, scratch)));
                }

                CompletionsLeft--;
                break;
            case BackendMessageType.ParameterStatus:
                NoteParameter(link, Body(buffer, header, scratch));
                break;
            case BackendMessageType.NotificationResponse:
                ForwardNotification(link, buffer.Slice(0, header.TotalLength));
                buffer = buffer.Slice(header.TotalLength);
                return null;
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

                CompletionsLeft--;
                break;
            case BackendMessageType.ParseComplete or BackendMessageType.BindComplete
                or BackendMessageType.CloseComplete or BackendMessageType.NoData
                or BackendMessageType.RowDescription:
                CompletionsLeft--;
                break;
            case BackendMessageType.NoticeResponse:
                if (link.DropsBeginWarning
                    && ErrorResponseMessage.ReadSqlState(Body(buffer, header, scratch)) == "25001")
                {
                    link.DropsBeginWarning = false;
                    Skip(link, ref buffer, header);
                    return null;
                }

                PassOn(link, ref buffer, header, forward);
                return null;
            case BackendMessageType.DataRow or BackendMessageType.FunctionCallResponse
                when ReferenceEquals(link, Capture.From):
                Capture.Note(type, Body(buffer, header, scratch));
                break;
            default:
                break;
        }

        PassOn(link, ref buffer, header, forward);
        return stop == ReplyStop.UntilCompletions && CompletionsLeft <= 0 ? ReplyEnd.Completed : null;
    }

    /// <summary>A node's ParameterStatus, injected query's or not: the backend remembers it (reset, cache reuse).</summary>
    private static void NoteParameter(NodeLink link, ReadOnlySpan<byte> body)
    {
        var (name, value) = ParameterStatusMessage.Read(body);
        link.Backend.SetParameter(name, value);
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
            Forwarded++;
            ForwardedBytes += header.TotalLength;
            if (answer.IsHolding)
            {
                answer.Note(header.Type);
            }

            if (header.Type == (byte)BackendMessageType.ErrorResponse)
            {
                ClientErrors++;
            }

            if (ErrorPositionShift != 0 && available == header.TotalLength
                && header.Type is (byte)BackendMessageType.ErrorResponse or (byte)BackendMessageType.NoticeResponse)
            {
                // A step of the client's query string: the position is in the step, the client counts from its start.
                Protocol.Backend.ErrorPositionShift.Write(buffer.Slice(0, available).ToArray(), ErrorPositionShift, answer.Sink);
            }
            else
            {
                FrameCopy.Copy(buffer.Slice(0, available), answer.Sink);
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
}

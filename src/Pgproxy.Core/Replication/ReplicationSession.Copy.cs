using System.Buffers;
using Pgproxy.Core.Determinism;
using Pgproxy.Core.Sessions;
using Pgproxy.Protocol.Framing;
using Pgproxy.Protocol.Messages;

namespace Pgproxy.Core.Replication;

internal sealed partial class ReplicationSession
{
    /// <summary>Flush a node's output mid-COPY once this much is buffered, so data streams with bounded memory.</summary>
    private const int MaxCopyUnflushed = 64 * 1024;

    /// <summary>
    /// COPY FROM STDIN (DESIGN §3.6): main has answered CopyInResponse and the client's CopyInResponse has gone
    /// out; from here every CopyData, and the closing CopyDone or CopyFail, goes to every target node as it
    /// arrives, in pieces for big messages — never buffered whole. Returns once CopyDone or CopyFail went out.
    /// </summary>
    /// <param name="targets">Every node the COPY runs on, main first.</param>
    /// <param name="main">The node that answers the client.</param>
    /// <param name="appender">
    /// Adds main's values of left-out time defaults to the others' rows (DESIGN §4); main gets the data as sent.
    /// </param>
    private async Task CopyInAsync(NodeLink[] targets, NodeLink main, CopyRowAppender? appender = null)
    {
        await _client.Output.FlushAsync();
        var input = _client.Input;
        long remaining = 0;
        var inCopyData = false;
        while (true)
        {
            var result = await input.ReadAsync();
            var buffer = result.Buffer;
            if (result.IsCanceled)
            {
                input.AdvanceTo(buffer.Start);
                throw new OperationCanceledException("the session was stopped during COPY");
            }

            var done = false;
            while (!done)
            {
                if (remaining > 0)
                {
                    var piece = Math.Min(remaining, buffer.Length);
                    if (piece == 0)
                    {
                        break;
                    }

                    if (inCopyData)
                    {
                        AppendCopyData(targets, main, buffer.Slice(0, piece), appender!);
                        FrameCopy.Copy(buffer.Slice(0, piece), main.Output);
                    }
                    else
                    {
                        WriteToAll(targets, buffer.Slice(0, piece));
                    }

                    buffer = buffer.Slice(piece);
                    remaining -= piece;
                    continue;
                }

                if (!FrameReader.TryReadHeader(buffer, out var header))
                {
                    break;
                }

                FrameReader.ValidateFrontend(header);
                if (header.Type is not (FrontendMessageType.CopyData or FrontendMessageType.Flush
                    or FrontendMessageType.Sync or FrontendMessageType.CopyDone or FrontendMessageType.CopyFail))
                {
                    // PostgreSQL answers any other message during COPY FROM STDIN with FATAL ("protocol
                    // synchronization was lost") and closes: sent to every node it would close every connection and
                    // degenerate every node. It is the client's violation, so it ends only this session.
                    input.AdvanceTo(buffer.Start);
                    ProtocolViolationException.Throw(ProtocolViolationReason.UnexpectedMessage,
                        $"unexpected message type 0x{header.Type:X2} during COPY from stdin");
                }

                var available = Math.Min(header.TotalLength, buffer.Length);
                inCopyData = appender is not null && header.Type == FrontendMessageType.CopyData;
                if (inCopyData)
                {
                    // The others' rows get main's values appended, re-framed as CopyData of their own.
                    FrameCopy.Copy(buffer.Slice(0, available), main.Output);
                    AppendCopyData(targets, main, buffer.Slice(5, available - 5), appender!);
                }
                else
                {
                    if (appender is not null && header.Type == FrontendMessageType.CopyDone)
                    {
                        CompleteCopyData(targets, main, appender);
                    }

                    WriteToAll(targets, buffer.Slice(0, available));
                }

                buffer = buffer.Slice(available);
                remaining = header.TotalLength - available;
                done = header.Type is FrontendMessageType.CopyDone or FrontendMessageType.CopyFail && remaining == 0;
                if (done)
                {
                    break;
                }

            }

            input.AdvanceTo(buffer.Start, done ? buffer.Start : result.Buffer.End);
            await FlushCopyTargetsAsync(targets, main, force: done);
            if (done)
            {
                return;
            }

            if (result.IsCompleted)
            {
                throw new IOException("the client disconnected during COPY");
            }
        }
    }

    /// <summary>
    /// The copy-ins of a replicated Query (DESIGN §3.6): main answered CopyInResponse and the others have the Query
    /// too. One Query string can go into copy-in more than once (<c>copy a from stdin; copy b from stdin</c>, or
    /// <c>select 1; copy a from stdin; select 2</c>): after CopyDone main answers the next statement, which may be
    /// another CopyInResponse rather than ReadyForQuery. Each one goes to the client at once (it cannot send the
    /// data without it) and that copy's data streams to every node, which all run the same string in the same
    /// order; main's answer up to its ReadyForQuery is held again for the comparison with the others.
    /// </summary>
    /// <param name="main">The node that answers the client, already in its first copy-in.</param>
    /// <param name="others">The other nodes, which got the Query right behind main's CopyInResponse.</param>
    /// <param name="appender">
    /// Main's values of left-out defaults for the first COPY: the plan is made for the string's first statement
    /// (the only one whose table is looked up), so a later COPY of the string streams as sent.
    /// </param>
    private async Task CopyQueryInAsync(NodeLink main, NodeLink[] others, CopyRowAppender? appender)
    {
        do
        {
            _answer.Release(); // the client needs main's CopyInResponse to send the data
            await _client.Output.FlushAsync();
            await CopyInAsync([main, .. others], main, appender);
            appender = null;
            HoldAnswer(keepUntilResult: false);
        }
        while (await ReadRepliesAsync(main, forward: true, summarize: true, ReplyStop.UntilReady) == ReplyEnd.CopyIn);
    }

    private static void WriteToAll(NodeLink[] targets, in ReadOnlySequence<byte> bytes)
    {
        foreach (var link in targets)
        {
            if (!link.Detached)
            {
                FrameCopy.Copy(bytes, link.Output);
            }
        }
    }

    private async Task FlushCopyTargetsAsync(NodeLink[] targets, NodeLink main, bool force)
    {
        foreach (var link in targets)
        {
            if (link.Detached || (!force && link.Output.UnflushedBytes < MaxCopyUnflushed))
            {
                continue;
            }

            try
            {
                await link.Output.FlushAsync();
            }
            catch (Exception e) when (NodeFailures.IsNodeFailure(e) && link != main)
            {
                Degenerate(link, "write failed during COPY: " + e.Message);
            }
        }
    }
}

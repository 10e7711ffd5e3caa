using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using Pgproxy.Core.Determinism;
using Pgproxy.Core.Transport;
using Pgproxy.Protocol.Framing;
using Pgproxy.Protocol.Messages;

namespace Pgproxy.Core.Replication;

/// <summary>
/// Streams the client's COPY FROM STDIN data to every node the COPY runs on (DESIGN §3.6), message by message and
/// in pieces for big messages, never buffered whole; the others' rows get main's values of left-out defaults
/// appended when an appender is given (DESIGN §4). One per session; it owns only its scratch buffer.
/// </summary>
/// <param name="client">The client's connection: its input is read up to CopyDone or CopyFail.</param>
/// <param name="degenerate">Takes out a node other than main whose write fails mid-COPY.</param>
internal sealed class CopyInRelay(IConnectionTransport client, Action<NodeLink, string> degenerate)
{
    /// <summary>Flush a node's output mid-COPY once this much is buffered, so data streams with bounded memory.</summary>
    private const int MaxCopyUnflushed = 64 * 1024;

    /// <summary>Reused to frame the other nodes' COPY data once main's values are appended.</summary>
    private readonly ArrayBufferWriter<byte> _scratch = new();

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
    public async Task RelayAsync(NodeLink[] targets, NodeLink main, CopyRowAppender? appender = null)
    {
        await client.Output.FlushAsync();
        var input = client.Input;
        long remaining = 0;
        byte inProgress = 0;
        while (true)
        {
            var result = await input.ReadAsync();
            var buffer = result.Buffer;
            if (result.IsCanceled)
            {
                input.AdvanceTo(buffer.Start);
                throw new OperationCanceledException("the session was stopped during COPY");
            }

            var done = RelayBuffered(targets, main, appender, input, ref buffer, ref remaining, ref inProgress);
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
    /// Relays what <paramref name="buffer"/> holds and returns true once CopyDone or CopyFail went out whole. A
    /// message the buffer ends in the middle of goes on with the next read: <paramref name="remaining"/> of its bytes
    /// are still to come, and <paramref name="inProgress"/> is its type (CopyData gets main's values appended). A
    /// CopyFail's reason can come in a later read than its header (Npgsql's cancelled import right behind a CopyData
    /// that fills the receive buffer): its last byte ends the copy as a CopyFail read whole does, or the relay waits
    /// for data that never comes while the client waits for the error (Npgsql's CopyTests.Import_direct_buffer hung
    /// through two nodes, issue 17).
    /// </summary>
    private bool RelayBuffered(NodeLink[] targets, NodeLink main, CopyRowAppender? appender, PipeReader input,
        ref ReadOnlySequence<byte> buffer, ref long remaining, ref byte inProgress)
    {
        while (true)
        {
            if (remaining > 0)
            {
                var piece = Math.Min(remaining, buffer.Length);
                if (piece == 0)
                {
                    return false;
                }

                if (appender is not null && inProgress == FrontendMessageType.CopyData)
                {
                    AppendCopyData(targets, main, buffer.Slice(0, piece), appender);
                    FrameCopy.Copy(buffer.Slice(0, piece), main.Output);
                }
                else
                {
                    WriteToAll(targets, buffer.Slice(0, piece));
                }

                buffer = buffer.Slice(piece);
                remaining -= piece;
                if (remaining == 0 && inProgress is FrontendMessageType.CopyDone or FrontendMessageType.CopyFail)
                {
                    return true; // a CopyFail whose reason came in a later read than its header: see the summary
                }

                continue;
            }

            if (!FrameReader.TryReadHeader(buffer, out var header))
            {
                return false;
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
            inProgress = header.Type;
            if (appender is not null && header.Type == FrontendMessageType.CopyData)
            {
                // The others' rows get main's values appended, re-framed as CopyData of their own.
                FrameCopy.Copy(buffer.Slice(0, available), main.Output);
                AppendCopyData(targets, main, buffer.Slice(5, available - 5), appender);
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
            if (header.Type is FrontendMessageType.CopyDone or FrontendMessageType.CopyFail && remaining == 0)
            {
                return true;
            }
        }
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
                degenerate(link, "write failed during COPY: " + e.Message);
            }
        }
    }

    /// <summary>A piece of CopyData payload: main gets it as it is, the others with main's values appended.</summary>
    private void AppendCopyData(NodeLink[] targets, NodeLink main, in ReadOnlySequence<byte> payload,
        CopyRowAppender appender)
    {
        foreach (var segment in payload)
        {
            appender.Append(segment.Span, _scratch);
        }

        WriteCopyScratch(targets, main);
    }

    /// <summary>Before CopyDone: a last line without a newline still gets its values on the others.</summary>
    private void CompleteCopyData(NodeLink[] targets, NodeLink main, CopyRowAppender appender)
    {
        appender.Complete(_scratch);
        WriteCopyScratch(targets, main);
    }

    private void WriteCopyScratch(NodeLink[] targets, NodeLink main)
    {
        if (_scratch.WrittenCount == 0)
        {
            return;
        }

        Span<byte> header = stackalloc byte[5];
        header[0] = FrontendMessageType.CopyData;
        BinaryPrimitives.WriteInt32BigEndian(header[1..], _scratch.WrittenCount + 4);
        foreach (var link in targets)
        {
            if (link != main && !link.Detached)
            {
                link.Output.Write(header);
                link.Output.Write(_scratch.WrittenSpan);
            }
        }

        _scratch.ResetWrittenCount();
    }
}

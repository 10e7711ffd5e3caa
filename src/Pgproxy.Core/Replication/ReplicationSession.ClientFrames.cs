using System.Buffers;
using System.Text;
using Pgproxy.Core.Transport;
using Pgproxy.Protocol.Framing;
using Pgproxy.Protocol.Frontend;
using Pgproxy.Protocol.Messages;

namespace Pgproxy.Core.Replication;

internal sealed partial class ReplicationSession
{
    /// <summary>
    /// Takes whole frames off the client's buffer: extended-protocol messages join the current group; the first
    /// message that needs a round trip (Query, Sync, Flush, FunctionCall) or ends the session is copied into
    /// <see cref="_frame"/> and reported. CopyData and friends outside COPY are ignored, as PostgreSQL does.
    /// </summary>
    private ClientAction TakeClientFrames(ref ReadOnlySequence<byte> buffer)
    {
        while (FrameReader.TryReadHeader(buffer, out var header))
        {
            FrameReader.ValidateFrontend(header);
            if (buffer.Length < header.TotalLength)
            {
                return ClientAction.None;
            }

            var frame = buffer.Slice(0, header.TotalLength);
            var before = buffer;
            buffer = buffer.Slice(header.TotalLength);
            if (_groups.DiscardUntilSync && header.Type is not (FrontendMessageType.Sync or FrontendMessageType.Terminate))
            {
                continue; // after a failed extended-protocol COPY, as PostgreSQL does
            }

            switch (header.Type)
            {
                case FrontendMessageType.Terminate:
                    return ClientAction.Terminate;
                case FrontendMessageType.Query or FrontendMessageType.FunctionCall when _groups.Group.Executes:
                    // Executes without a Sync yet (issue 16 item 6): PostgreSQL runs each message as it arrives, so
                    // they run before this Query. Run the group now, ended by a Sync of pgproxy's own whose
                    // ReadyForQuery the client does not get, and read the Query again afterwards. Every node commits
                    // the group as one; PostgreSQL alone would commit it with the Query (and roll it back if the
                    // Query failed), a difference a client that pipelines so has to live with.
                    buffer = before;
                    _groups.Group.Add(new ReadOnlySequence<byte>(GroupRunner.SyncFrame), FrontendMessageType.Sync);
                    _silentSync = true;
                    return ClientAction.Sync;
                case FrontendMessageType.Query:
                    QueryMessage.ValidateBodyPiece(frame.Slice(FrameHeader.Size), endsBody: true);
                    CopyFrame(frame);
                    FilterOwnLocks();
                    return ClientAction.Query;
                case FrontendMessageType.FunctionCall:
                    CopyFrame(frame);
                    return ClientAction.FunctionCall;
                case FrontendMessageType.Sync:
                    _groups.DiscardUntilSync = false;
                    _groups.Group.Add(frame, header.Type);
                    return ClientAction.Sync;
                case FrontendMessageType.Flush:
                    _groups.Group.Add(frame, header.Type);
                    return ClientAction.Flush;
                case FrontendMessageType.Parse:
                    _groups.Group.Add(WithOwnLocksFiltered(frame), header.Type);
                    break;
                case FrontendMessageType.Bind or FrontendMessageType.Describe
                    or FrontendMessageType.Execute or FrontendMessageType.Close:
                    _groups.Group.Add(frame, header.Type);
                    break;
                default:
                    if (_groups.Group.Executes)
                    {
                        // Data sent straight after Execute, without waiting for CopyInResponse: the Execute may start
                        // a COPY that reads it. Run the group now, ended by a Flush of pgproxy's own (PostgreSQL answers
                        // it with nothing, and ignores it in copy-in), and leave this message to the COPY; the Sync
                        // behind the data comes as a group of its own, as after a Flush-ended COPY.
                        buffer = before;
                        _groups.Group.Add(new ReadOnlySequence<byte>(GroupRunner.FlushFrame), FrontendMessageType.Flush);
                        return ClientAction.Flush;
                    }

                    // CopyData/CopyDone/CopyFail outside COPY: PostgreSQL accepts and ignores them.
                    break;
            }
        }

        return ClientAction.None;
    }

    /// <summary>The Query in <see cref="_frame"/> reads pg_locks: pgproxy's own lock rows are left out (OwnLocksFilter).</summary>
    private void FilterOwnLocks()
    {
        var sql = OthersFrames.QueryText(_frame.WrittenSpan);
        if (!OwnLocksFilter.MayName(sql) || OwnLocksFilter.Rewrite(Encoding.UTF8.GetString(sql)) is not { } filtered)
        {
            return;
        }

        _frame.ResetWrittenCount();
        _frame.Write(InjectedQueries.Encode(filtered));
    }

    /// <summary>A Parse whose statement reads pg_locks gets pgproxy's own lock rows left out (OwnLocksFilter).</summary>
    private static ReadOnlySequence<byte> WithOwnLocksFiltered(in ReadOnlySequence<byte> frame)
    {
        // A Parse across two buffer segments is rare: only then is the frame copied to be looked at.
        ReadOnlySpan<byte> bytes = frame.IsSingleSegment ? frame.FirstSpan : frame.ToArray();
        if (!OwnLocksFilter.MayName(bytes))
        {
            return frame;
        }

        var sql = OthersFrames.SqlBytes(bytes, isParse: true);
        return OwnLocksFilter.Rewrite(Encoding.UTF8.GetString(sql)) is { } filtered
            ? new ReadOnlySequence<byte>(OthersFrames.ParseFrameWithQuery(bytes, filtered))
            : frame;
    }

    private void CopyFrame(in ReadOnlySequence<byte> frame)
    {
        _frame.ResetWrittenCount();
        FrameCopy.Copy(frame, _frame);
    }
}

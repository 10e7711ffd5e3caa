using System.IO.Pipelines;
using Pgproxy.Protocol.Framing;
using Pgproxy.Protocol.Messages;

namespace Pgproxy.Core.Replication;

/// <summary>
/// A read served by another node leaves main unread for the whole request. If main's backend was ended meanwhile
/// (<c>pg_terminate_backend</c> on the pid the client knows, which is main's), PostgreSQL would have failed the
/// client's request; through pgproxy the client got node 1's answer and never heard of it until a later write
/// (Npgsql's ConnectionTests: a <c>pg_sleep</c> in a transaction whose backend another connection terminates).
/// Looking at what main has already sent costs one non-blocking read.
/// </summary>
internal sealed partial class ReplicationSession
{
    /// <summary>
    /// After a request <paramref name="answered"/> served on its own: when it was not main and main's pipe already
    /// holds an ErrorResponse (only a FATAL can come unasked), the session ends with it as for any terminated backend
    /// (or main's node is failed over at the next request when it is going away).
    /// </summary>
    private async ValueTask ThrowIfMainEndedMeanwhileAsync(NodeLink answered)
    {
        if (MainOrNull is not { } main || main == answered || main.ReplyRemaining != 0 || main.Injected.Count != 0
            || main.Owes || main.PendingFlush is not null || !main.Input.TryRead(out var result))
        {
            return;
        }

        if (!HoldsErrorFirst(result))
        {
            main.Input.AdvanceTo(result.Buffer.Start); // nothing read: notifications wait for the idle watch
            return;
        }

        if (await PassIdleMessagesAsync(main, result) is { } terminated
            && await JudgeTerminationAsync(terminated) is BackendTerminatedException ending)
        {
            throw ending;
        }
    }

    /// <summary>True when main's first whole message, after any asynchronous ones, is an ErrorResponse.</summary>
    private static bool HoldsErrorFirst(in ReadResult result)
    {
        var buffer = result.Buffer;
        while (FrameReader.TryReadHeader(buffer, out var header) && buffer.Length >= header.TotalLength)
        {
            if (header.Type == (byte)BackendMessageType.ErrorResponse)
            {
                return true;
            }

            if (header.Type is not ((byte)BackendMessageType.NotificationResponse
                or (byte)BackendMessageType.NoticeResponse or (byte)BackendMessageType.ParameterStatus))
            {
                return false;
            }

            buffer = buffer.Slice(header.TotalLength);
        }

        return false;
    }
}

using System.Buffers;
using System.IO.Pipelines;
using Pgproxy.Protocol.Backend;
using Pgproxy.Protocol.Framing;
using Pgproxy.Protocol.Messages;

namespace Pgproxy.Core.Replication;

/// <summary>
/// Between requests the session waits for the client and for main at once. Main's asynchronous messages must reach
/// an idle client as they would directly: notifications for a LISTEN, and the FATAL of a backend that
/// <c>pg_terminate_backend</c>, <c>idle_session_timeout</c> or a shutdown ends — a client blocked in Npgsql's
/// <c>Wait()</c> sends nothing, so a FATAL noticed only at its next request would leave it waiting forever
/// (Npgsql's NotificationTests.Wait_breaks_connection hung through two nodes, issue 17).
/// </summary>
internal sealed partial class ReplicationSession
{
    /// <summary>
    /// The client's next bytes. Main's notifications, notices and parameter changes that come meanwhile are passed
    /// on; main's ErrorResponse (only a FATAL can come between requests) ends the session with it when it is this
    /// backend's loss alone, and is left for the next request to judge (failover) when main's node is going away.
    /// </summary>
    private async ValueTask<ReadResult> ReadClientWatchingMainAsync()
    {
        var clientRead = _client.Input.ReadAsync();
        if (clientRead.IsCompleted)
        {
            return clientRead.Result;
        }

        // Only a main that owes nothing can be read here: anything else in its pipe belongs to a request.
        if (MainOrNull is not { } main || main.ReplyRemaining != 0 || main.Injected.Count != 0 || main.Owes
            || main.PendingFlush is not null)
        {
            return await clientRead;
        }

        var clientTask = clientRead.AsTask();
        using var clientArrived = new CancellationTokenSource();
        while (!clientTask.IsCompleted)
        {
            // A token, not CancelPendingRead: the latter is sticky when main's read completes first, and the next
            // read of main's answer would then come back canceled, as if main had gone away.
            var mainTask = main.Input.ReadAsync(clientArrived.Token).AsTask();
            await Task.WhenAny(clientTask, mainTask);
            if (!mainTask.IsCompleted)
            {
                await clientArrived.CancelAsync();
            }

            ReadResult mainResult;
            try
            {
                mainResult = await mainTask;
            }
            catch (OperationCanceledException) when (clientArrived.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e) when (NodeFailures.IsNodeFailure(e))
            {
                break; // main's connection failed: the next request finds it so and fails over, as for any lost node
            }

            if (await PassIdleMessagesAsync(main, mainResult) is { } terminated)
            {
                if (await JudgeTerminationAsync(terminated) is BackendTerminatedException ending)
                {
                    throw ending;
                }

                break; // main's node is going away: the FATAL stays in main's pipe for the next request to judge
            }

            if (mainResult.IsCompleted || mainResult.IsCanceled)
            {
                break; // closed without a word (a crash): the next request takes the node out, as for any lost node
            }
        }

        return await clientTask;
    }

    /// <summary>
    /// Passes main's asynchronous messages on to the client; stops at an ErrorResponse, left unread, and returns it as
    /// the exception that ends the session; stops at any other message (not asynchronous: it is no business of
    /// the idle wait), left unread too.
    /// </summary>
    private async ValueTask<BackendTerminatedException?> PassIdleMessagesAsync(NodeLink main, ReadResult result)
    {
        var buffer = result.Buffer;
        BackendTerminatedException? terminated = null;
        while (FrameReader.TryReadHeader(buffer, out var header) && buffer.Length >= header.TotalLength)
        {
            var frame = buffer.Slice(0, header.TotalLength);
            if (header.Type == (byte)BackendMessageType.ErrorResponse)
            {
                var error = ErrorResponseMessage.Parse(frame.Slice(5).ToArray());
                terminated = new BackendTerminatedException(main, frame.ToArray(),
                    $"{error.Message} (SQLSTATE {error.SqlState})");
                break;
            }

            if (header.Type is not ((byte)BackendMessageType.NotificationResponse
                or (byte)BackendMessageType.NoticeResponse or (byte)BackendMessageType.ParameterStatus))
            {
                break;
            }

            Sessions.FrameCopy.Copy(frame, _client.Output);
            buffer = buffer.Slice(header.TotalLength);
        }

        main.Input.AdvanceTo(buffer.Start, result.Buffer.End);
        if (_client.Output.UnflushedBytes > 0)
        {
            await _client.Output.FlushAsync();
        }

        return terminated;
    }
}

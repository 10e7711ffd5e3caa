using System.Net.Sockets;
using Pgproxy.Core.Backends;
using Pgproxy.Protocol.Writing;

namespace Pgproxy.Core.Sessions;

/// <summary>Sends one CancelRequest to a backend on a connection of its own, as the protocol requires.</summary>
internal static class CancelForwarder
{
    /// <summary>
    /// Sends the request once the backend runs no BEGIN of pgproxy's (<paramref name="hold"/>): checked once the
    /// connection is up, right before the request goes, so the window in which a BEGIN written meanwhile can still
    /// meet the signal is as short as pgproxy can make it.
    /// </summary>
    public static async Task SendAsync(BackendEndpoint endpoint, int processId, int secretKey, int timeoutMs,
        CancelHold? hold = null)
    {
        try
        {
            using var socket = await endpoint.ConnectAsync(timeoutMs, CancellationToken.None);
            if (hold is not null)
            {
                await hold.WhenNoBeginAsync();
            }

            var buffer = new System.Buffers.ArrayBufferWriter<byte>(16);
            FrontendMessageWriter.WriteCancelRequest(buffer, processId, secretKey);
            await socket.SendAsync(buffer.WrittenMemory, SocketFlags.None);
            // PostgreSQL closes the connection once it has read the request; wait for that so the cancel is
            // delivered before we return (a client may check right after).
            var sink = new byte[1];
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await socket.ReceiveAsync(sink, SocketFlags.None, wait.Token);
        }
        catch (Exception e) when (e is SocketException or TimeoutException or OperationCanceledException)
        {
            // Best effort, like libpq's PQcancel: a cancel that cannot be delivered is simply lost.
        }
    }
}

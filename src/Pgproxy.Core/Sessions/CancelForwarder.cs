using System.Net.Sockets;
using Pgproxy.Core.Backends;
using Pgproxy.Protocol.Writing;

namespace Pgproxy.Core.Sessions;

/// <summary>Sends one CancelRequest to a backend on a connection of its own, as the protocol requires.</summary>
internal static class CancelForwarder
{
    public static async Task SendAsync(BackendEndpoint endpoint, int processId, int secretKey, int timeoutMs)
    {
        try
        {
            using var socket = await endpoint.ConnectAsync(timeoutMs, CancellationToken.None);
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

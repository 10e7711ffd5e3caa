using System.Net.Sockets;

namespace Pgproxy.Core.Transport;

/// <summary>The socket checks and shutdown both socket transports share.</summary>
internal static class SocketProbe
{
    /// <summary>
    /// True when the peer has neither closed nor sent anything: readable means data or EOF, and an idle backend
    /// says nothing unless it is being terminated.
    /// </summary>
    public static bool LooksIdleAndAlive(Socket socket)
    {
        try
        {
            return socket.Connected && !socket.Poll(0, SelectMode.SelectRead);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            return false;
        }
    }

    /// <summary>Shuts both directions down so that pending reads see end-of-stream and writes fail fast.</summary>
    public static void Shutdown(Socket socket)
    {
        try
        {
            socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Already closed by the peer or by us; nothing left to shut down.
        }
    }
}

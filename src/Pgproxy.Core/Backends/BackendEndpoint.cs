using System.Net;
using System.Net.Sockets;
using Pgproxy.Core.Config;
using Pgproxy.Core.Transport;

namespace Pgproxy.Core.Backends;

/// <summary>
/// Where a backend node listens: a TCP host and port, or, like libpq, a Unix socket when the host name is a
/// directory (starts with <c>/</c>), in which case the socket file is <c>.s.PGSQL.&lt;port&gt;</c> inside it.
/// </summary>
internal sealed class BackendEndpoint
{
    private BackendEndpoint(string host, int port)
    {
        Host = host;
        Port = port;
    }

    public string Host { get; }

    public int Port { get; }

    public bool IsUnixSocket => Host.StartsWith('/');

    public static BackendEndpoint From(BackendConfig config) => new(config.Hostname, config.Port);

    /// <summary>Opens a connected socket with the options the hot path wants (no Nagle, keepalive).</summary>
    public async Task<Socket> ConnectAsync(int timeoutMs, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (timeoutMs > 0)
        {
            timeout.CancelAfter(timeoutMs);
        }

        Socket socket;
        if (IsUnixSocket)
        {
            socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            try
            {
                await ConnectSocketAsync(socket, new UnixDomainSocketEndPoint(Path.Combine(Host, $".s.PGSQL.{Port}")),
                    timeout.Token);
            }
            catch
            {
                socket.Dispose();
                throw;
            }

            return socket;
        }

        var addresses = IPAddress.TryParse(Host, out var literal)
            ? [literal]
            : await Dns.GetHostAddressesAsync(Host, timeout.Token);
        Exception? last = null;
        foreach (var address in addresses)
        {
            socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, true);
                await ConnectSocketAsync(socket, new IPEndPoint(address, Port), timeout.Token);
                return socket;
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException)
            {
                socket.Dispose();
                last = e;
                if (cancellationToken.IsCancellationRequested)
                {
                    throw;
                }
            }
        }

        throw last is OperationCanceledException
            ? new TimeoutException($"timed out connecting to {this} after {timeoutMs} ms")
            : last ?? new SocketException((int)SocketError.HostNotFound);
    }

    /// <summary>
    /// Connects. Where the epoll transport serves the connection, this is a blocking connect on a pool thread:
    /// a .NET asynchronous connect would register the socket with .NET's socket engine as well, which would then
    /// wake up for every event of the connection. A timeout closes the socket, which ends the connect.
    /// </summary>
    private static async Task ConnectSocketAsync(Socket socket, EndPoint endpoint, CancellationToken cancellationToken)
    {
        if (!EpollLoop.IsSupported)
        {
            await socket.ConnectAsync(endpoint, cancellationToken);
            return;
        }

        using var registration = cancellationToken.Register(socket.Dispose);
        try
        {
            await Task.Run(() => socket.Connect(endpoint), CancellationToken.None);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException
                                      && cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException(cancellationToken);
        }
    }

    public override string ToString() => IsUnixSocket ? $"{Host}/.s.PGSQL.{Port}" : $"{Host}:{Port}";
}

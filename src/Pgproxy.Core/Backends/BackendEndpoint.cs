using System.Net;
using System.Net.Sockets;
using Pgproxy.Core.Config;

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
                await socket.ConnectAsync(new UnixDomainSocketEndPoint(Path.Combine(Host, $".s.PGSQL.{Port}")),
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
                await socket.ConnectAsync(new IPEndPoint(address, Port), timeout.Token);
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

    public override string ToString() => IsUnixSocket ? $"{Host}/.s.PGSQL.{Port}" : $"{Host}:{Port}";
}

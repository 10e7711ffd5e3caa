using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Pgproxy.Core.Logging;

namespace Pgproxy.Core.Listener;

/// <summary>
/// Accepts connections on one endpoint and hands each socket to the proxy. Accepting never waits on a
/// session: a full house is answered by the session itself with 53300, so the accept queue always drains.
/// </summary>
internal sealed partial class ClientListener : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly ILogger _logger;
    private readonly string? _unixPath;
    private readonly CancellationTokenSource _stop = new();
    private Task _acceptLoop = Task.CompletedTask;

    private ClientListener(Socket socket, ILogger logger, string? unixPath)
    {
        _socket = socket;
        _logger = logger;
        _unixPath = unixPath;
    }

    public EndPoint LocalEndPoint => _socket.LocalEndPoint!;

    public static ClientListener BindTcp(IPEndPoint endpoint, int backlog, ILogger logger)
    {
        var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (endpoint.Address.Equals(IPAddress.IPv6Any))
            {
                socket.DualMode = true;
            }

            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            socket.Bind(endpoint);
            socket.Listen(backlog);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        return new ClientListener(socket, logger, null);
    }

    public static ClientListener BindUnix(string path, int backlog, ILogger logger)
    {
        // A socket file left by a crashed run blocks bind; PostgreSQL removes it too (after its lock check,
        // which the TCP bind on the same port has already done for us).
        if (File.Exists(path))
        {
            File.Delete(path);
        }

        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            socket.Bind(new UnixDomainSocketEndPoint(path));
            socket.Listen(backlog);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        return new ClientListener(socket, logger, path);
    }

    public void Start(Action<Socket> onAccepted)
    {
        Log.Listening(_logger, _unixPath ?? LocalEndPoint.ToString()!);
        _acceptLoop = AcceptLoopAsync(onAccepted);
    }

    private async Task AcceptLoopAsync(Action<Socket> onAccepted)
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _socket.AcceptAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException e)
            {
                // EMFILE and friends: back off briefly instead of spinning.
                Log.AcceptFailed(_logger, e.Message);
                await Task.Delay(100);
                continue;
            }

            if (client.AddressFamily != AddressFamily.Unix)
            {
                client.NoDelay = true;
            }

            onAccepted(client);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _socket.Dispose();
        await _acceptLoop;
        if (_unixPath is not null)
        {
            try
            {
                File.Delete(_unixPath);
            }
            catch (IOException)
            {
                // Someone else owns it now; leave it.
            }
        }

        _stop.Dispose();
    }

    private static partial class Log
    {
        [LoggerMessage(EventIds.Listening, LogLevel.Information, "listening on {Endpoint}")]
        public static partial void Listening(ILogger logger, string endpoint);

        [LoggerMessage(EventIds.AcceptFailed, LogLevel.Warning, "accept failed: {Reason}")]
        public static partial void AcceptFailed(ILogger logger, string reason);
    }
}

using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;
using Pgproxy.Core.Listener;
using Pgproxy.Core.Logging;

namespace Pgproxy.Core.Prometheus;

/// <summary>
/// The Prometheus endpoint: <c>GET /metrics</c> on <c>metrics_port</c> at every <c>listen_addresses</c> address,
/// answered with <see cref="MetricsReport"/> in the text format. A minimal HTTP/1.1 responder (one request per
/// connection, then close) on pgproxy's own listener, so no web stack is needed; it runs on the thread pool,
/// away from the sessions' loops. Requests must arrive whole within 5 seconds and 8 KiB.
/// </summary>
internal sealed partial class MetricsEndpoint : IAsyncDisposable
{
    private const int MaxRequestBytes = 8192;
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(5);

    private readonly IMetricsSources _sources;
    private readonly ILogger _logger;
    private readonly List<ClientListener> _listeners = [];
    private readonly CancellationTokenSource _stop = new();
    private int _open;

    private MetricsEndpoint(IMetricsSources sources, ILogger logger)
    {
        _sources = sources;
        _logger = logger;
    }

    /// <summary>The addresses bound (with the real port).</summary>
    public IReadOnlyList<EndPoint> Endpoints => [.. _listeners.Select(l => l.LocalEndPoint)];

    /// <summary>
    /// Binds <c>metrics_port</c> on every <c>listen_addresses</c> address and starts answering; null when the
    /// port is 0 (off) or there is no TCP address. Throws <see cref="SocketException"/> when a bind fails.
    /// </summary>
    public static MetricsEndpoint? Start(IMetricsSources sources)
    {
        var options = sources.Options;
        if (options.MetricsPort == 0)
        {
            return null;
        }

        var logger = sources.LoggerFactory.CreateLogger("Pgproxy.Metrics");
        var endpoints = ListenEndpointResolver.TcpEndpoints(options, options.MetricsPort);
        if (endpoints.Count == 0)
        {
            Log.NoAddress(logger, options.MetricsPort);
            return null;
        }

        var endpoint = new MetricsEndpoint(sources, logger);
        try
        {
            foreach (var address in endpoints)
            {
                endpoint._listeners.Add(ClientListener.BindTcp(address, 16, logger));
            }
        }
        catch (SocketException)
        {
            endpoint.DisposeAsync().AsTask().GetAwaiter().GetResult();
            throw;
        }

        foreach (var listener in endpoint._listeners)
        {
            listener.Start(socket => _ = endpoint.ServeAsync(socket));
            Log.Listening(logger, listener.LocalEndPoint.ToString()!);
        }

        return endpoint;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        foreach (var listener in _listeners)
        {
            await listener.DisposeAsync();
        }

        _listeners.Clear();
    }

    /// <summary>Reads one request, answers it, closes the connection; never throws.</summary>
    private async Task ServeAsync(Socket socket)
    {
        // A handful of scrapers at once is plenty; more are turned away rather than queued.
        var open = Interlocked.Increment(ref _open);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
            timeout.CancelAfter(RequestTimeout);
            var response = open > 8
                ? HttpResponse.Plain(503, "Service Unavailable", "too many metrics requests at once\n")
                : Answer(await ReadRequestAsync(socket, timeout.Token));
            await socket.SendAsync(response, SocketFlags.None, timeout.Token);
            socket.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
        {
            Log.RequestFailed(_logger, socket.RemoteEndPoint?.ToString() ?? "?", e.Message);
        }
        finally
        {
            Interlocked.Decrement(ref _open);
            socket.Dispose();
        }
    }

    /// <summary>The request line and headers (up to the blank line), or null when they never came whole.</summary>
    private static async Task<string?> ReadRequestAsync(Socket socket, CancellationToken cancellationToken)
    {
        var buffer = new byte[MaxRequestBytes];
        var filled = 0;
        while (filled < buffer.Length)
        {
            var read = await socket.ReceiveAsync(buffer.AsMemory(filled), SocketFlags.None, cancellationToken);
            if (read == 0)
            {
                return null;
            }

            filled += read;
            var text = Encoding.Latin1.GetString(buffer, 0, filled);
            if (text.Contains("\r\n\r\n", StringComparison.Ordinal) || text.Contains("\n\n", StringComparison.Ordinal))
            {
                return text;
            }
        }

        return null;
    }

    private byte[] Answer(string? request)
    {
        var requestLine = request?.Split('\n', 2)[0].TrimEnd('\r').Split(' ');
        if (requestLine is not { Length: 3 } || !requestLine[2].StartsWith("HTTP/1.", StringComparison.Ordinal))
        {
            return HttpResponse.Plain(400, "Bad Request", "expected an HTTP/1.x request line and headers\n");
        }

        var (method, target) = (requestLine[0], requestLine[1].Split('?', 2)[0]);
        if (target != "/metrics")
        {
            return HttpResponse.Plain(404, "Not Found", "pgproxy serves its metrics at /metrics\n");
        }

        if (method is not ("GET" or "HEAD"))
        {
            return HttpResponse.Plain(405, "Method Not Allowed", "use GET\n", "Allow: GET, HEAD\r\n");
        }

        var body = Encoding.UTF8.GetBytes(MetricsReport.Build(_sources));
        return HttpResponse.Build(200, "OK", PrometheusTextWriter.ContentType, body, includeBody: method == "GET");
    }

    private static partial class Log
    {
        [LoggerMessage(EventIds.MetricsListening, LogLevel.Information,
            "metrics endpoint listening on http://{Endpoint}/metrics")]
        public static partial void Listening(ILogger logger, string endpoint);

        [LoggerMessage(EventIds.MetricsRequestFailed, LogLevel.Debug, "metrics request from {Remote} failed: {Reason}")]
        public static partial void RequestFailed(ILogger logger, string remote, string reason);

        [LoggerMessage(EventIds.MetricsNoAddress, LogLevel.Warning,
            "metrics_port = {Port} but listen_addresses names no TCP address: the metrics endpoint is off")]
        public static partial void NoAddress(ILogger logger, int port);
    }
}

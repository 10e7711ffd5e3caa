using System.Net;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Pgproxy.Core.Config;
using Pgproxy.Core.Hosting;

namespace Pgproxy.TestUtilities.Scripted;

/// <summary>
/// A pgproxy with one backend node (or <c>nodes</c>, for replication mode) served by <see cref="ScriptedBackend"/>s,
/// and no listener: client sessions run over in-memory pipes through <see cref="ProxyServer.Accept"/>, the same code
/// a socket connection runs. Logs go nowhere unless a <c>loggerFactory</c> is given.
/// </summary>
internal sealed class ProxyHarness : IAsyncDisposable
{
    /// <param name="script">What the scripted backends answer.</param>
    /// <param name="configure">Changes the options before the proxy is built.</param>
    /// <param name="time">The proxy's clock; the system's unless a test moves time itself.</param>
    /// <param name="nodes">How many backend nodes (2 or more: replication mode).</param>
    /// <param name="loggerFactory">Where the proxy logs; nowhere unless a test reads the log.</param>
    public ProxyHarness(ScriptedBackendScript? script = null, Func<ProxyOptions, ProxyOptions>? configure = null,
        TimeProvider? time = null, int nodes = 1, ILoggerFactory? loggerFactory = null)
    {
        var options = new ProxyOptions
        {
            Backends = [.. Enumerable.Range(0, nodes)
                .Select(i => new BackendConfig { NodeId = i, Hostname = "127.0.0.1", Port = 5432 + i })],
            Port = 0,
            UnixSocketDirectories = "",
            NumInitChildren = 8,
            AuthenticationTimeout = 10,
        };
        Server = new ProxyServer(configure is null ? options : configure(options),
            loggerFactory ?? NullLoggerFactory.Instance, time);
        Connector = new ScriptedBackendConnector(script);
        Server.Runtime.BackendConnector = Connector;
    }

    public ProxyServer Server { get; }

    public ProxyRuntime Runtime => Server.Runtime;

    public ScriptedBackendConnector Connector { get; }

    /// <summary>
    /// Opens a client connection; the session starts running at once (it waits for a startup packet). Without
    /// <paramref name="from"/> it looks like a Unix-socket client (no address); with it, a TCP client from there.
    /// </summary>
    public RawClient Connect(IPAddress? from = null)
    {
        var (client, proxy) = InMemoryTransport.CreatePair();
        var session = Server.Accept(proxy, from is null ? "test" : from + ":5000", from);
        return new RawClient(client, session);
    }

    /// <summary>Connects, sends a StartupMessage and reads up to the first ReadyForQuery.</summary>
    public async Task<(RawClient Client, IReadOnlyList<BackendMessage> Startup)> ConnectAndStartAsync(
        string user = "alice", string database = "app", params (string Name, string Value)[] parameters)
    {
        var client = Connect();
        await client.SendStartupAsync(user, database, parameters);
        var startup = await client.ReadUntilReadyForQueryAsync();
        return (client, startup);
    }

    public async ValueTask DisposeAsync() =>
        await Server.StopAsync(ShutdownMode.Fast).WaitAsync(TimeSpan.FromSeconds(10));
}

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
    public ProxyHarness(ScriptedBackendScript? script = null, Func<ProxyOptions, ProxyOptions>? configure = null,
        int nodes = 1, ILoggerFactory? loggerFactory = null)
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
            loggerFactory ?? NullLoggerFactory.Instance);
        Connector = new ScriptedBackendConnector(script);
        Server.Runtime.BackendConnector = Connector;
    }

    public ProxyServer Server { get; }

    public ProxyRuntime Runtime => Server.Runtime;

    public ScriptedBackendConnector Connector { get; }

    /// <summary>Opens a client connection; the session starts running at once (it waits for a startup packet).</summary>
    public RawClient Connect()
    {
        var (client, proxy) = InMemoryTransport.CreatePair();
        var session = Server.Accept(proxy, "test");
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

using Microsoft.Extensions.Logging.Abstractions;
using Pgproxy.Core.Backends;
using Pgproxy.Core.Config;
using Pgproxy.Core.Hosting;

namespace Pgproxy.TestUtilities.Scripted;

/// <summary>
/// A pgproxy in native replication mode over N <see cref="ScriptedNode"/>s and no listener: client sessions run over
/// in-memory pipes through <see cref="ProxyServer.Accept"/>. Each node follows its own <see cref="NodeScript"/>,
/// and every message pgproxy sends to any node (but its catalog lookups, see
/// <see cref="SentFrame.IsCatalogLookup"/>) is logged in send order (<see cref="Sent"/>), so a test can check
/// both what a node got and which node got it first. Load balancing is off (reads go to main) and
/// <c>insert_lock</c> too, so a test's statements reach the nodes as written; the constructor's <c>configure</c> changes
/// any of it.
/// </summary>
internal sealed class ReplicationHarness : IAsyncDisposable
{
    private readonly NodeScript[] _scripts;
    private readonly Lock _lock = new();
    private readonly List<SentFrame> _sent = [];

    public ReplicationHarness(int nodeCount = 2, Func<ProxyOptions, ProxyOptions>? configure = null)
    {
        var options = new ProxyOptions
        {
            Backends = [.. Enumerable.Range(0, nodeCount).Select(i => new BackendConfig
            {
                NodeId = i, Hostname = "127.0.0.1", Port = 5432 + i,
            })],
            Port = 0,
            UnixSocketDirectories = "",
            NumInitChildren = 8,
            AuthenticationTimeout = 10,
            LoadBalanceMode = false,
            InsertLock = false,
        };
        _scripts = [.. Enumerable.Range(0, nodeCount).Select(i => new NodeScript(i))];
        Server = new ProxyServer(configure is null ? options : configure(options), NullLoggerFactory.Instance);
        Connector = new ScriptedNodeConnector(_scripts, Record);
        Server.Runtime.BackendConnector = Connector;
    }

    public ProxyServer Server { get; }

    public ProxyRuntime Runtime => Server.Runtime;

    public ScriptedNodeConnector Connector { get; }

    /// <summary>The script of node <paramref name="nodeId"/>, shared by every connection to it.</summary>
    public NodeScript Node(int nodeId) => _scripts[nodeId];

    /// <summary>Node <paramref name="nodeId"/>'s status in pgproxy's node set (Down once degenerated).</summary>
    public BackendStatus StatusOf(int nodeId) => Runtime.Nodes.Find(nodeId)!.Status;

    /// <summary>The latest connection to node <paramref name="nodeId"/>.</summary>
    public ScriptedNode Connection(int nodeId) => Connector.Connections.Last(c => c.NodeId == nodeId);

    /// <summary>Every message sent to any node since the last <see cref="ClearSent"/>, in send order.</summary>
    public IReadOnlyList<SentFrame> Sent
    {
        get
        {
            lock (_lock)
            {
                return [.. _sent];
            }
        }
    }

    /// <summary>What node <paramref name="nodeId"/> was sent since the last <see cref="ClearSent"/>, readable.</summary>
    public IReadOnlyList<string> SentTo(int nodeId) => [.. Sent.Where(f => f.NodeId == nodeId).Select(f => f.Text)];

    /// <summary>Where in <see cref="Sent"/> node <paramref name="nodeId"/> was first sent <paramref name="text"/>.</summary>
    public int IndexOf(int nodeId, string text)
    {
        var sent = Sent;
        for (var i = 0; i < sent.Count; i++)
        {
            if (sent[i].NodeId == nodeId && sent[i].Text == text)
            {
                return i;
            }
        }

        throw new InvalidOperationException($"node {nodeId} was never sent \"{text}\"; sent: {string.Join(", ", sent)}");
    }

    /// <summary>Forgets what was sent so far (the session's start-up, an earlier statement).</summary>
    public void ClearSent()
    {
        lock (_lock)
        {
            _sent.Clear();
        }
    }

    /// <summary>Connects a client, sends its StartupMessage, reads up to ReadyForQuery and forgets what was sent.</summary>
    public async Task<RawClient> StartClientAsync()
    {
        var (clientEnd, proxyEnd) = InMemoryTransport.CreatePair();
        var client = new RawClient(clientEnd, Server.Accept(proxyEnd, "test"));
        await client.SendStartupAsync("alice", "app");
        await client.ReadUntilReadyForQueryAsync();
        ClearSent();
        return client;
    }

    public async ValueTask DisposeAsync() =>
        await Server.StopAsync(ShutdownMode.Fast).WaitAsync(TimeSpan.FromSeconds(10));

    private void Record(int nodeId, byte[] frame)
    {
        var sent = new SentFrame(nodeId, frame);
        if (sent.IsCatalogLookup)
        {
            return;
        }

        lock (_lock)
        {
            _sent.Add(sent);
        }
    }
}

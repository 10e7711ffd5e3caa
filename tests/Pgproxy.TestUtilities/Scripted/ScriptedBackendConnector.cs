using Pgproxy.Core.Auth;
using Pgproxy.Core.Transport;
using System.Collections.Concurrent;
using Xunit;
using Pgproxy.Core.Backends;

namespace Pgproxy.TestUtilities.Scripted;

/// <summary>
/// Connects pgproxy to a new <see cref="ScriptedBackend"/> per backend connection, over in-memory pipes, through
/// the real startup code (<see cref="BackendConnection.StartAsync"/>).
/// </summary>
internal sealed class ScriptedBackendConnector : IBackendConnector
{
    private readonly ConcurrentQueue<ScriptedBackend> _backends = new();
    private int _nextProcessId = 40_000;
    private int _connectCount;

    public ScriptedBackendConnector(ScriptedBackendScript? script = null) => Script = script ?? new();

    /// <summary>The script the next backend follows.</summary>
    public ScriptedBackendScript Script { get; set; }

    /// <summary>Scripts by node id, for nodes that must behave differently from <see cref="Script"/>.</summary>
    public Dictionary<int, ScriptedBackendScript> NodeScripts { get; } = [];

    /// <summary>How many times pgproxy asked for a new backend connection.</summary>
    public int ConnectCount => Volatile.Read(ref _connectCount);

    /// <summary>Every backend created, in order.</summary>
    public IReadOnlyList<ScriptedBackend> Backends => [.. _backends];

    public ScriptedBackend Single => Assert.Single(Backends);

    public Task<BackendConnection> ConnectAsync(BackendNode node, BackendPoolKey key, BackendCredential? credential,
        int connectTimeoutMs, EpollLoop? loop, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _connectCount);
        var (proxyEnd, backendEnd) = InMemoryTransport.CreatePair();
        var backend = new ScriptedBackend(backendEnd, NodeScripts.GetValueOrDefault(node.NodeId) ?? Script,
            Interlocked.Increment(ref _nextProcessId)) { NodeId = node.NodeId };
        _backends.Enqueue(backend);
        backend.Start();
        return BackendConnection.StartAsync(new BackendConnection(proxyEnd, node.NodeId, node.Endpoint, key),
            credential, connectTimeoutMs, cancellationToken);
    }
}

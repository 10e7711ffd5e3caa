using System.Collections.Concurrent;
using Pgproxy.Core.Auth;
using Pgproxy.Core.Backends;
using Pgproxy.Core.Transport;

namespace Pgproxy.TestUtilities.Scripted;

/// <summary>
/// Connects pgproxy to a new <see cref="ScriptedNode"/> per backend connection, following the script of the node
/// asked for, through the real startup code; pgproxy's side of each connection records what it sends.
/// </summary>
internal sealed class ScriptedNodeConnector(IReadOnlyList<NodeScript> scripts, Action<int, byte[]> onSent)
    : IBackendConnector
{
    private readonly ConcurrentQueue<ScriptedNode> _connections = new();
    private int _nextProcessId = 50_000;

    /// <summary>Every connection made, in order.</summary>
    public IReadOnlyList<ScriptedNode> Connections => [.. _connections];

    public Task<BackendConnection> ConnectAsync(BackendNode node, BackendPoolKey key, BackendCredential? credential,
        int connectTimeoutMs, EpollLoop? loop, CancellationToken cancellationToken)
    {
        if (scripts[node.NodeId].RefuseConnectionsWith is { } refusal)
        {
            return Task.FromException<BackendConnection>(
                new BackendStartupException(refusal, "the database system is shutting down"));
        }

        var (proxyEnd, nodeEnd) = InMemoryTransport.CreatePair();
        var scripted = new ScriptedNode(nodeEnd, scripts[node.NodeId], Interlocked.Increment(ref _nextProcessId));
        _connections.Enqueue(scripted);
        scripted.Start();
        var nodeId = node.NodeId;
        var transport = new RecordingTransport(proxyEnd, frame => onSent(nodeId, frame));
        return BackendConnection.StartAsync(new BackendConnection(transport, nodeId, node.Endpoint, key), credential,
            connectTimeoutMs, cancellationToken);
    }
}

using System.Buffers;
using Pgproxy.Core.Admin;
using Pgproxy.Core.Backends;
using Pgproxy.Core.Replication;
using Pgproxy.Core.Transport;
using Pgproxy.Protocol.Framing;
using Pgproxy.Protocol.Messages;

namespace Pgproxy.Core.Sessions;

internal sealed partial class ClientSession
{
    private ReplicationSession? _replication;
    private NodeLink[] _links = [];

    /// <summary>True when more than one node is configured: the session runs the replication loop.</summary>
    private bool IsReplicated => _runtime.Nodes.Nodes.Count > 1;

    /// <summary>The session's load-balance node (its only node outside replication), for SHOW POOL_NODES.</summary>
    public int LoadBalanceNodeId => _replication?.LoadBalanceNodeId ?? _backend?.NodeId ?? -1;

    /// <summary>Every backend connection of the session (one per live node in replication mode).</summary>
    public IEnumerable<BackendConnection> Backends =>
        _links.Length > 0 ? _links.Select(l => l.Backend) : _backend is null ? [] : [_backend];

    /// <summary>
    /// The backends a CancelRequest for this session goes to: the one a request runs on alone (SessionLinks.AloneOn),
    /// else every one.
    /// </summary>
    public IEnumerable<BackendConnection> CancelBackends => _replication?.AloneOn is { } alone ? [alone] : Backends;

    public void MarkClientActivity() => Volatile.Write(ref _lastClientActivity, Environment.TickCount64);

    /// <summary>
    /// Connects to every live node as the client's user (cached connections first), all at once. A node that
    /// cannot be reached is degenerated and the session goes on without it, as long as one node is left.
    /// </summary>
    private async Task<BackendConnection> AcquireReplicatedBackendsAsync(BackendPoolKey key,
        CancellationToken cancellationToken)
    {
        var nodes = _runtime.Nodes.Nodes.Where(n => n.Status != BackendStatus.Down).ToArray();
        if (nodes.Length == 0)
        {
            throw new BackendStartupException(SqlState.CannotConnectNow, "all backend nodes are down");
        }

        var loop = (_client as EpollConnection)?.Loop;
        var attempts = nodes.Select(node => ConnectNodeAsync(node, key, loop, cancellationToken)).ToArray();
        var links = new List<NodeLink>(nodes.Length);
        BackendStartupException? firstFailure = null;
        for (var i = 0; i < nodes.Length; i++)
        {
            try
            {
                links.Add(new NodeLink(await attempts[i], nodes[i]));
            }
            catch (BackendStartupException e) when (e.SqlState is SqlState.ConnectionFailure
                                                        or SqlState.SqlClientUnableToEstablishConnection
                                                        or SqlState.CannotConnectNow)
            {
                // The node itself is unreachable: take it out so no session waits for it again.
                Log.BackendConnectFailed(_logger, User, Database, e.Message);
                if (_runtime.Nodes.Degenerate(nodes[i], "connection failed: " + e.Message))
                {
                    Log.NodeDown(_logger, nodes[i].NodeId, e.Message);
                }

                firstFailure ??= e;
            }
            catch (BackendStartupException e)
            {
                // Refused for this user or database (auth, missing database): every node would say the same.
                firstFailure ??= e;
                await DisposeLinksAsync(links);
                await DrainAttemptsAsync(attempts, i + 1);
                throw;
            }
        }

        if (links.Count == 0)
        {
            throw firstFailure ?? new BackendStartupException(SqlState.CannotConnectNow, "all backend nodes are down");
        }

        _links = [.. links];
        return _links[0].Backend;
    }

    private async Task<BackendConnection> ConnectNodeAsync(BackendNode node, BackendPoolKey key, EpollLoop? loop,
        CancellationToken cancellationToken)
    {
        if (_runtime.Pool.TryRent(key, node.NodeId) is { } cached)
        {
            _runtime.Nodes.MarkUp(node, "a session reached it"); // cached connections outlived its detach
            return cached;
        }

        var connection = await NodeConnect.OpenAsync(_runtime.BackendConnector, node, key, _backendCredential,
            _runtime.Options.ConnectTimeout, loop, cancellationToken);
        _runtime.Nodes.MarkUp(node, "a session reached it");
        return connection;
    }

    private static async Task DisposeLinksAsync(List<NodeLink> links)
    {
        foreach (var link in links)
        {
            link.Backend.IsBroken = true;
            await link.Backend.TerminateAsync();
        }
    }

    private static async Task DrainAttemptsAsync(Task<BackendConnection>[] attempts, int from)
    {
        for (var i = from; i < attempts.Length; i++)
        {
            try
            {
                var connection = await attempts[i];
                connection.IsBroken = true;
                await connection.TerminateAsync();
            }
            catch (BackendStartupException)
            {
                // Already failed; nothing to close.
            }
        }
    }

    /// <summary>The query phase in replication mode; the links are reset and cached by the teardown.</summary>
    private async Task RunReplicationAsync()
    {
        _replication = new ReplicationSession(this, _client, _runtime.Replication, _links, _logger);
        SessionEndReason end;
        try
        {
            end = await _replication.RunAsync();
        }
        catch (ProtocolViolationException)
        {
            MarkLinksBroken();
            throw;
        }
        catch (Exception)
        {
            MarkLinksBroken();
            throw;
        }

        TrySetEndReason(end);
        if (end is not (SessionEndReason.ClientTerminated or SessionEndReason.ClientDisconnected)
            || !_replication.IsBetweenRequests)
        {
            MarkLinksBroken();
        }

        await TellClientWhyAsync(end);
    }

    private void MarkLinksBroken()
    {
        foreach (var link in _links)
        {
            link.Backend.IsBroken = true;
        }
    }

    /// <summary>The admin rewrite for the replication loop, which holds whole frames in contiguous memory.</summary>
    public bool RewriteAdminCommand(ReadOnlySpan<byte> frame, byte type, IBufferWriter<byte> output,
        out AdminError? error) =>
        _admin.TryRewrite(new ReadOnlySequence<byte>(frame.ToArray()), type, output, out error, markErrors: false);

    /// <summary>
    /// See <see cref="AdminCommandRewriter.PrepareAsync"/>: the replication loop may wait there, the pumps may not.
    /// </summary>
    public Task PrepareAdminAsync(ReadOnlyMemory<byte> query) => _admin.PrepareAsync(query);
}

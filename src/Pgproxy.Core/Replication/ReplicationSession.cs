using System.Buffers;
using Microsoft.Extensions.Logging;
using Pgproxy.Core.Backends;
using Pgproxy.Core.Hosting;
using Pgproxy.Core.Routing;
using Pgproxy.Core.Sessions;
using Pgproxy.Core.Transport;
using Pgproxy.Protocol.Framing;
using Pgproxy.Protocol.Messages;

namespace Pgproxy.Core.Replication;

/// <summary>
/// The query phase of a session in native replication mode (two or more nodes): one loop that reads what the
/// client sends, classifies it, and runs it on the node or nodes its class calls for — reads on the session's
/// load-balance node, writes on main first and then on every other live node, so that conflicting writers
/// queue on main's locks and reach the others in the same order (DESIGN §3). Unlike the single-node pumps it is
/// sequential per request: a write must see main's answer before the others get it.
/// Partials: <c>.Simple</c> (Query messages), <c>.Extended</c> (Parse…Sync groups), <c>.Copy</c> (COPY FROM
/// STDIN fan-out), <c>.ExtendedCopy</c> (COPY FROM STDIN through Parse/Bind/Execute), <c>.Fanout</c> (write
/// path), <c>.Compare</c>, <c>.Errors</c> (errors pgproxy answers itself), <c>.HeldAnswer</c>, <c>.Transactions</c>
/// (BEGIN/COMMIT/ROLLBACK), <c>.Replies</c> (reading a node's replies), <c>.AnswerTimeout</c> (how long the others may lag behind main), <c>.Log</c>.
/// </summary>
internal sealed partial class ReplicationSession
{
    private readonly ClientSession _session;
    private readonly IConnectionTransport _client;
    private readonly ProxyRuntime _runtime;
    private readonly ILogger _logger;
    private readonly NodeLink[] _links;
    private readonly RoutingPolicy _policy;
    private readonly bool _forwardNotices = true;

    /// <summary>The client's current message, copied out of the input buffer so the input can move on.</summary>
    private ArrayBufferWriter<byte> _frame = new(256);

    /// <summary>Transaction status the client was last told.</summary>
    private TransactionStatus _clientStatus = TransactionStatus.Idle;

    /// <summary>The client's transaction has written: its reads go to main from now on.</summary>
    private bool _transactionWrote;

    /// <summary>The client's transaction is REPEATABLE READ or SERIALIZABLE: its reads go to main.</summary>
    private bool _strictIsolation;

    /// <summary>The node whose error put the client's transaction in the failed state.</summary>
    private NodeLink? _failedLink;

    /// <summary>The session's load-balance node (pgpool chooses it once per session).</summary>
    private NodeLink? _loadBalanceLink;

    /// <summary>Main's transaction timestamp as text, captured by an injected <c>SELECT now()</c>.</summary>
    private string? _mainNow;

    public ReplicationSession(ClientSession session, IConnectionTransport client, ProxyRuntime runtime,
        IReadOnlyList<NodeLink> links, ILogger logger)
    {
        _session = session;
        _client = client;
        _runtime = runtime;
        _logger = logger;
        _links = [.. links.OrderBy(l => l.NodeId)];
        _policy = runtime.RoutingPolicy;
        _loadBalanceLink = ChooseLoadBalanceLink();
    }

    /// <summary>True while the loop waits for the client's next request (for <c>client_idle_limit</c>).</summary>
    public bool WaitingForClient { get; private set; }

    /// <summary>Transaction status the client was last told (for admin reports and commands).</summary>
    public TransactionStatus ClientStatus => _clientStatus;

    /// <summary>The connections of this session, including detached ones (for teardown and cancel).</summary>
    public IReadOnlyList<NodeLink> Links => _links;

    /// <summary>Node id of the session's load-balance node, for SHOW POOL_NODES.</summary>
    public int LoadBalanceNodeId => _loadBalanceLink?.NodeId ?? -1;

    /// <summary>The live link with the lowest node id.</summary>
    private NodeLink Main => MainOrNull ?? throw new IOException("every backend node of this session is down");

    /// <summary>
    /// True when the session can still use the link: not detached here, and not taken out by another session
    /// (a degenerated node leaves every session at its next statement) — not even for a while: a node attached or
    /// recovered again is not this link's node any more (see <see cref="NodeLink.Outlived"/>).
    /// </summary>
    private static bool IsLive(NodeLink link) =>
        !link.Detached && link.Node.Status != BackendStatus.Down && !link.Outlived;

    /// <summary>
    /// Runs until the client leaves or the session fails. Returns why the client side ended; the caller tears
    /// the links down (resetting and caching them when everything is between requests).
    /// </summary>
    public async Task<SessionEndReason> RunAsync()
    {
        try
        {
            return await RunRequestsAsync();
        }
        catch (BackendTerminatedException e)
        {
            return await EndTerminatedSessionAsync(e);
        }
        finally
        {
            DisposeAnswerTimer();
        }
    }

    private async Task<SessionEndReason> RunRequestsAsync()
    {
        var input = _client.Input;
        while (true)
        {
            WaitingForClient = true;
            var result = await ReadClientWatchingMainAsync();
            WaitingForClient = false;
            var buffer = result.Buffer;
            if (result.IsCanceled)
            {
                input.AdvanceTo(buffer.Start);
                return _session.EndReason == SessionEndReason.None
                    ? SessionEndReason.BackendLost
                    : _session.EndReason;
            }

            _session.MarkClientActivity();
            ClientAction action;
            try
            {
                action = TakeClientFrames(ref buffer);
            }
            catch (ProtocolViolationException)
            {
                input.AdvanceTo(buffer.Start);
                throw;
            }

            input.AdvanceTo(buffer.Start, action == ClientAction.None ? result.Buffer.End : buffer.Start);
            var started = StartRequest(action);
            switch (action)
            {
                case ClientAction.Terminate:
                    return SessionEndReason.ClientTerminated;
                case ClientAction.Query or ClientAction.Sync or ClientAction.Flush or ClientAction.FunctionCall:
                    try
                    {
                        await RunRequestAsync(action);
                    }
                    finally
                    {
                        _silentSync = false;
                    }

                    break;
                default:
                    if (result.IsCompleted)
                    {
                        return SessionEndReason.ClientDisconnected;
                    }

                    break;
            }

            if (_client.Output.UnflushedBytes > 0)
            {
                await _client.Output.FlushAsync();
            }

            FinishRequestMetrics(action, started);
            if (action != ClientAction.None)
            {
                ScratchBuffer.Reset(ref _frame, 256); // done with the message: a big one's array goes
            }
        }
    }

    /// <summary>True when no request is half done, so the links may be reset and cached.</summary>
    public bool IsBetweenRequests => _group.Frames.Count == 0 && _links.All(l => l.ReplyRemaining == 0
        && l.Injected.Count == 0 && !l.Owes && l.PendingFlush is null);

    /// <summary>
    /// Weighted random choice among live nodes with a weight above zero, as pgpool does at session start;
    /// main when no node qualifies or load balancing is off.
    /// </summary>
    private NodeLink? ChooseLoadBalanceLink()
    {
        if (!_runtime.Options.LoadBalanceMode)
        {
            return null;
        }

        Span<double> weights = stackalloc double[_links.Length];
        for (var i = 0; i < _links.Length; i++)
        {
            weights[i] = IsLive(_links[i]) ? _links[i].Node.Config.Weight : 0;
        }

        var chosen = _runtime.LoadBalance.Choose(weights);
        return chosen < 0 ? null : _links[chosen];
    }

    /// <summary>The node that serves a read: main inside a transaction that wrote or is strict, else the
    /// load-balance node (chosen again per statement with <c>statement_level_load_balance</c>).</summary>
    private NodeLink ReadTarget()
    {
        switch (Router.ReadNode(RouteState, _failedLink is { } failed && IsLive(failed)))
        {
            case ReadNode.FailedNode:
                return _failedLink!;
            case ReadNode.Main:
                return Main;
        }

        if (_runtime.Options.StatementLevelLoadBalance && _clientStatus == TransactionStatus.Idle)
        {
            _loadBalanceLink = ChooseLoadBalanceLink();
        }

        if (_loadBalanceLink is { } lb && !IsLive(lb))
        {
            _loadBalanceLink = ChooseLoadBalanceLink();
        }

        return _loadBalanceLink is { } chosen && IsLive(chosen) ? chosen : Main;
    }

    /// <summary>The session's state as the router sees it.</summary>
    private RouteState RouteState => new(_clientStatus, _transactionWrote, _strictIsolation);

    /// <summary>Live links other than main, in node order.</summary>
    private List<NodeLink> Others(NodeLink main)
    {
        _others.Clear();
        foreach (var link in _links)
        {
            if (link != main && IsLive(link))
            {
                _others.Add(link);
            }
        }

        return _others;
    }

    private readonly List<NodeLink> _others = [];

    /// <summary>The last array <see cref="OthersArray"/> returned, reused while the live set stays the same.</summary>
    private NodeLink[] _othersArray = [];

    /// <summary>
    /// <see cref="Others"/> as an array for the write path, without allocating one per statement: the live set
    /// rarely changes, so the previous array is returned when it still holds exactly the same links.
    /// </summary>
    private NodeLink[] OthersArray(NodeLink main) => Reuse(ref _othersArray, Others(main));

    private static NodeLink[] Reuse(ref NodeLink[] cached, List<NodeLink> links)
    {
        var same = cached.Length == links.Count;
        for (var i = 0; same && i < links.Count; i++)
        {
            same = cached[i] == links[i];
        }

        if (!same)
        {
            cached = [.. links];
        }

        return cached;
    }

    /// <summary>
    /// Takes a node out: it failed or its answer diverged from main's. The node is marked down for every session
    /// (they drop it at their next statement) and this session's connection to it is closed.
    /// </summary>
    private void Degenerate(NodeLink link, string reason)
    {
        if (link.Detached)
        {
            return;
        }

        link.Detached = true;
        link.ClearOwed();
        link.Backend.Abort();
        if (_runtime.Nodes.Degenerate(link.Node, reason))
        {
            Log.NodeDegenerated(_logger, link.NodeId, reason);
        }
    }

    /// <summary>
    /// Records the status of the node that answered the client and what it means for routing: leaving a
    /// transaction forgets its writes and isolation, a failed one remembers which node failed it.
    /// </summary>
    private void SetClientStatus(NodeLink answered)
    {
        _clientStatus = answered.Status;
        switch (_clientStatus)
        {
            case TransactionStatus.Idle:
                _transactionWrote = false;
                _strictIsolation = false;
                _failedLink = null;
                _mainXid = null;
                _cannotPrepare = false;
                foreach (var link in _links)
                {
                    link.PendingBegin = null;
                }

                _statements.ForgetPortals();
                break;
            case TransactionStatus.Failed:
                _failedLink ??= answered;
                break;
            default:
                _failedLink = null;
                break;
        }
    }

    private enum ClientAction : byte
    {
        None,
        Terminate,
        Query,
        Sync,
        Flush,
        FunctionCall,
    }
}

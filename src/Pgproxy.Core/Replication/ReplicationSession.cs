using System.Buffers;
using Microsoft.Extensions.Logging;
using Pgproxy.Core.Routing;
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
/// Collaborators: <see cref="SessionLinks"/> (the connections, main, taking a node out), <see cref="ReplyReader"/>
/// (the nodes' replies), <see cref="HeldAnswer"/>, <see cref="AnswerDeadline"/>, <see cref="CopyInRelay"/>, and
/// <see cref="WritePath"/> (the others' answers, their comparison with main's, and the commit order, with
/// <see cref="TwoPhaseCommit"/>). Partials by protocol phase: <c>.Simple</c> (Query messages), <c>.Script</c>
/// (query strings with transaction control), <c>.Extended</c>/<c>.Group*</c> (Parse…Sync groups), <c>.Copy</c>,
/// <c>.ExtendedCopy</c>, <c>.Fanout</c> (a write's steps), <c>.Transactions</c> (BEGIN/COMMIT/ROLLBACK),
/// <c>.Errors</c> (errors pgproxy answers itself), <c>.Failover</c>, <c>.Termination</c>, <c>.Defaults</c> and
/// <c>.Catalog</c> (what main's catalog says).
/// </summary>
internal sealed partial class ReplicationSession : IRequestHost
{
    private readonly IReplicationClient _session;
    private readonly IConnectionTransport _client;
    private readonly IReplicationServices _runtime;
    private readonly ILogger _logger;
    private readonly SessionLinks _nodes;
    private readonly NodeLink[] _links;
    private readonly RoutingPolicy _policy;

    /// <summary>The client's current message, copied out of the input buffer so the input can move on.</summary>
    private ArrayBufferWriter<byte> _frame = new(256);

    /// <summary>The client's transaction status and what it means for routing.</summary>
    private readonly ClientState _state = new();

    /// <summary>The session's load-balance node (pgpool chooses it once per session).</summary>
    private NodeLink? _loadBalanceLink;

    /// <summary>replication_answer_timeout: how long the others may lag behind main.</summary>
    private readonly AnswerDeadline _deadline;

    /// <summary>Main's answer while the others' can still fail the statement.</summary>
    private readonly HeldAnswer _answer;

    /// <summary>The write path's ordering and commit.</summary>
    private readonly WritePath _write;

    /// <summary>The commit protocol, and what it knows of the client's transaction.</summary>
    private readonly TwoPhaseCommit _twoPhase;

    /// <summary>Reads the nodes' replies, forwarding the answering node's to the client.</summary>
    private readonly ReplyReader _replies;

    /// <summary>pgproxy's own catalog queries on main.</summary>
    private readonly CatalogQuery _catalogQuery;

    /// <summary>What main's catalog says of tables' defaults and functions' volatility.</summary>
    private readonly MainCatalog _catalog;

    /// <summary>Waits for the client's next request, watching main meanwhile.</summary>
    private readonly IdleWatch _idle;

    /// <summary>Runs the client's Query and FunctionCall messages.</summary>
    private readonly QueryRunner _queries;

    /// <summary>Runs the client's extended-protocol groups.</summary>
    private readonly GroupRunner _groups;

    /// <summary>Streams COPY FROM STDIN data to the nodes.</summary>
    private readonly CopyInRelay _copyIn;

    public ReplicationSession(IReplicationClient session, IConnectionTransport client, IReplicationServices runtime,
        IReadOnlyList<NodeLink> links, ILogger logger)
    {
        _session = session;
        _client = client;
        _runtime = runtime;
        _logger = logger;
        _nodes = new SessionLinks(links, runtime.Nodes, logger);
        _links = _nodes.All;
        _policy = runtime.RoutingPolicy;
        _loadBalanceLink = ChooseLoadBalanceLink();
        _answer = new HeldAnswer(client.Output);
        _deadline = new AnswerDeadline(runtime.Time, () => runtime.Options.ReplicationAnswerTimeout, _nodes.DegenerateNode);
        _copyIn = new CopyInRelay(client, _nodes.Degenerate);
        _replies = new ReplyReader(client.Output, _answer, _deadline, () => MainOrNull, JudgeTerminationAsync);
        _catalogQuery = new CatalogQuery(_replies, JudgeTerminationAsync, logger);
        _catalog = new MainCatalog(_nodes, _state, _catalogQuery, _replies, _policy, session.Database, session.User, logger);
        _write = new WritePath(_nodes, _replies, _deadline, _answer, client.Output, () => runtime.Options,
            runtime.TwoPhase, runtime.WriteGate, runtime.CatalogWrites, runtime.Reruns, ThrowIfANodeWasAttached, _state,
            _catalog, runtime.Time, logger)
        {
            Sequences = new SequenceLevel(runtime, session.Database, logger),
        };
        _twoPhase = _write.TwoPhase;
        _idle = new IdleWatch(client, _nodes, runtime.Time, () => session.EndReason != SessionEndReason.None,
            JudgeTerminationAsync);
        var parts = new RequestParts(this, _nodes, _state, _replies, _write, _answer, _deadline, _copyIn, _catalog, _idle,
            _policy, client.Output, runtime.Time);
        _groups = new GroupRunner(parts);
        _queries = new QueryRunner(parts);
    }

    /// <summary>
    /// Reads one node's replies until <paramref name="stop"/> (see <see cref="ReplyReader.ReadAsync"/>): forwards them
    /// to the client when <paramref name="forward"/>, records what must agree in the link's summary when
    /// <paramref name="summarize"/>.
    /// </summary>
    private ValueTask<ReplyEnd> ReadRepliesAsync(NodeLink link, bool forward, bool summarize, ReplyStop stop) =>
        _replies.ReadAsync(link, forward, summarize, stop);

    /// <summary>True while the loop waits for the client's next request (for <c>client_idle_limit</c>).</summary>
    public bool WaitingForClient { get; private set; }

    /// <summary>Transaction status the client was last told (for admin reports and commands).</summary>
    public TransactionStatus ClientStatus => _state.Status;

    /// <summary>The connections of this session, including detached ones (for teardown and cancel).</summary>
    public IReadOnlyList<NodeLink> Links => _links;

    /// <summary>Node id of the session's load-balance node, for SHOW POOL_NODES.</summary>
    public int LoadBalanceNodeId => _loadBalanceLink?.NodeId ?? -1;

    /// <inheritdoc/>
    public string? SchemaChangeRefusal => _runtime.SchemaChanges.Refusal;

    /// <inheritdoc/>
    public Task PrepareAdminAsync(ReadOnlyMemory<byte> query) => _session.PrepareAdminAsync(query);

    /// <inheritdoc/>
    public bool RewriteAdminCommand(ReadOnlySpan<byte> frame, byte type, IBufferWriter<byte> output,
        out Admin.AdminError? error) => _session.RewriteAdminCommand(frame, type, output, out error);

    /// <summary>The live link with the lowest node id.</summary>
    private NodeLink Main => _nodes.Main;

    /// <summary>The live link with the lowest node id, or null when this session has no node left.</summary>
    private NodeLink? MainOrNull => _nodes.MainOrNull;

    private static bool IsLive(NodeLink link) => SessionLinks.IsLive(link);

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
            _deadline.Release();
            _idle.Release();
        }
    }

    private async Task<SessionEndReason> RunRequestsAsync()
    {
        var input = _client.Input;
        while (true)
        {
            WaitingForClient = true;
            var result = await _idle.ReadClientAsync();
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
                        _groups.DropKeptGroup(); // a lone read kept for a rerun that never came (the session ends)
                        NoteTerminations();
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

            await ReleaseInsertLocksAsync();
            FinishRequestMetrics(action, started);
            if (action != ClientAction.None)
            {
                ScratchBuffer.Reset(ref _frame, 256); // done with the message: a big one's array goes
            }
        }
    }

    /// <summary>
    /// True when no request is half done, so the links may be reset and cached. Not when a node is inside an
    /// extended-protocol pipeline the client never synced: after an error there it skips everything up to a Sync,
    /// the reset query included, and the reset would wait for it forever.
    /// </summary>
    public bool IsBetweenRequests => _groups.Group.Frames.Count == 0 && _state.UnsyncedMask == 0
        && _links.All(l => l.IsQuiet);

    /// <summary>The backend a request runs on alone right now (SessionLinks.AloneOn), or null.</summary>
    public Backends.BackendConnection? AloneOn => _nodes.AloneOn?.Backend;

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
    public NodeLink ReadTarget()
    {
        switch (Router.ReadNode(_state.RouteState, _state.FailedLink is { } failed && IsLive(failed)))
        {
            case ReadNode.FailedNode:
                return _state.FailedLink!;
            case ReadNode.Main:
                return Main;
        }

        if (MainMayBeTerminated() || _twoPhase.UsesTemporaryObjects)
        {
            return Main;
        }

        if (_runtime.Options.StatementLevelLoadBalance && _state.Status == TransactionStatus.Idle)
        {
            _loadBalanceLink = ChooseLoadBalanceLink();
        }

        if (_loadBalanceLink is { } lb && !IsLive(lb))
        {
            _loadBalanceLink = ChooseLoadBalanceLink();
        }

        return _loadBalanceLink is { } chosen && IsLive(chosen) ? chosen : Main;
    }

    /// <summary>
    /// Records the status of the node that answered the client and what it means for routing: leaving a
    /// transaction forgets its writes and isolation, a failed one remembers which node failed it.
    /// </summary>
    public void SetClientStatus(NodeLink answered)
    {
        _state.Status = answered.Status;
        switch (_state.Status)
        {
            case TransactionStatus.Idle:
                _state.ForgetTransaction();
                _state.FailedLink = null;
                _twoPhase.TransactionEnded();
                foreach (var link in _links)
                {
                    link.PendingBegin = null;
                }

                _groups.Statements.ForgetPortals();
                break;
            case TransactionStatus.Failed:
                _state.FailedLink ??= answered;
                break;
            default:
                _state.FailedLink = null;
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

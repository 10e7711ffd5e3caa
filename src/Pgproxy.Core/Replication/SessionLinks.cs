using Microsoft.Extensions.Logging;
using Pgproxy.Core.Backends;
using Pgproxy.Core.Logging;

namespace Pgproxy.Core.Replication;

/// <summary>
/// A replication session's connections, one per node in node order, and which of them it may still use: main is
/// the live one with the lowest node id (DESIGN §3). Taking a node out (<see cref="Degenerate"/>) marks it down for
/// every session and closes this session's connection to it.
/// </summary>
internal sealed partial class SessionLinks
{
    private readonly BackendNodeSet _nodes;
    private readonly ILogger _logger;
    private readonly List<NodeLink> _others = [];

    /// <summary>The last array <see cref="OthersArray"/> returned, reused while the live set stays the same.</summary>
    private NodeLink[] _othersArray = [];

    private NodeLink? _aloneOn;

    public SessionLinks(IReadOnlyList<NodeLink> links, BackendNodeSet nodes, ILogger logger)
    {
        All = [.. links.OrderBy(l => l.NodeId)];
        _nodes = nodes;
        _logger = logger;
    }

    /// <summary>Every connection of the session, detached ones included, in node order.</summary>
    public NodeLink[] All { get; }

    /// <summary>
    /// True when the session can still use the link: not detached here, and not taken out by another session
    /// (a degenerated node leaves every session at its next statement) — not even for a while: a node attached or
    /// recovered again is not this link's node any more (see <see cref="NodeLink.Outlived"/>).
    /// </summary>
    public static bool IsLive(NodeLink link) =>
        !link.Detached && link.Node.Status != BackendStatus.Down && !link.Outlived;

    /// <summary>The live link with the lowest node id, or null when this session has no node left.</summary>
    public NodeLink? MainOrNull
    {
        get
        {
            foreach (var link in All)
            {
                if (IsLive(link))
                {
                    return link;
                }
            }

            return null;
        }
    }

    /// <summary>The live link with the lowest node id.</summary>
    public NodeLink Main => MainOrNull ?? throw new IOException("every backend node of this session is down");

    /// <summary>Opens the transaction on every live node with the next statement that node gets.</summary>
    public void DeferBegin(byte[] begin)
    {
        foreach (var link in All)
        {
            if (IsLive(link))
            {
                link.PendingBegin = begin;
            }
        }
    }

    /// <summary>
    /// The link a request runs on alone right now (a read, or a statement of a failed transaction), or null while
    /// a request may run on several nodes. A client's CancelRequest goes to that node only: each one a node gets
    /// costs it a process (PostgreSQL forks for a cancel's connection as for any other), and the client waits until
    /// every node it went to has read it — through two nodes, cancels under load took three times as long as
    /// directly. Read by the thread that forwards the cancel.
    /// </summary>
    public NodeLink? AloneOn => Volatile.Read(ref _aloneOn);

    /// <summary>Marks <paramref name="link"/> as running the request alone until the scope ends.</summary>
    public AloneScope RunAlone(NodeLink link)
    {
        Volatile.Write(ref _aloneOn, link);
        return new AloneScope(this);
    }

    /// <summary>True when the session has a live node besides main.</summary>
    public bool HasLiveOthers
    {
        get
        {
            var live = 0;
            foreach (var link in All)
            {
                if (IsLive(link) && ++live > 1)
                {
                    return true;
                }
            }

            return false;
        }
    }

    /// <summary>
    /// Counts a write running on main while the session lacks a configured node (<see cref="NodeJoin"/>): one it
    /// never connected to, or one taken out since. While a node is joining it first waits.
    /// </summary>
    public ValueTask<NodeJoin.WriteScope> EnterWriteOnMainAsync() => _nodes.Join.EnterWriteAsync(LacksANode);

    /// <summary>What a commit waits at the closed write gate with (<see cref="NodeJoin.LocksReleased"/>).</summary>
    public CancellationToken JoinLocksReleased => LacksANode ? _nodes.Join.LocksReleased : CancellationToken.None;

    /// <summary>The node a recovery's cutover is joining, or NodeJoin.NoNode.</summary>
    public int JoinNodeId => _nodes.Join.JoiningNodeId;

    /// <summary>True when the session has no live link to some configured node.</summary>
    private bool LacksANode
    {
        get
        {
            var lacks = All.Length < _nodes.Nodes.Count;
            foreach (var link in All)
            {
                lacks |= !IsLive(link);
            }

            return lacks;
        }
    }

    /// <summary>Live links other than main, in node order (a scratch list, reused).</summary>
    public List<NodeLink> Others(NodeLink main)
    {
        _others.Clear();
        foreach (var link in All)
        {
            if (link != main && IsLive(link))
            {
                _others.Add(link);
            }
        }

        return _others;
    }

    /// <summary>
    /// <see cref="Others"/> as an array for the write path, without allocating one per statement: the live set
    /// rarely changes, so the previous array is returned when it still holds exactly the same links.
    /// </summary>
    public NodeLink[] OthersArray(NodeLink main) => Reuse(ref _othersArray, Others(main));

    /// <summary><paramref name="cached"/> when it holds exactly <paramref name="links"/>, else a new array of them.</summary>
    public static NodeLink[] Reuse(ref NodeLink[] cached, List<NodeLink> links)
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
    public void Degenerate(NodeLink link, string reason)
    {
        if (link.Detached)
        {
            return;
        }

        link.Detached = true;
        link.ClearOwed();
        link.Backend.Abort();
        if (_nodes.Degenerate(link.Node, reason))
        {
            Log.NodeDegenerated(_logger, link.NodeId, reason);
        }
    }

    /// <summary>
    /// Takes a node out from outside the session's flow (a timer thread: replication_answer_timeout): marks it down
    /// for every session, which aborts its connections and so ends the session's wait on it.
    /// </summary>
    public void DegenerateNode(BackendNode node, string reason)
    {
        if (_nodes.Degenerate(node, reason))
        {
            Log.NodeDegenerated(_logger, node.NodeId, reason);
        }
    }

    /// <summary>Ends <see cref="RunAlone"/>: the next request may run anywhere again.</summary>
    public readonly struct AloneScope(SessionLinks links) : IDisposable
    {
        public void Dispose() => Volatile.Write(ref links._aloneOn, null);
    }

    private static partial class Log
    {
        [LoggerMessage(EventIds.NodeDegenerated, LogLevel.Error, "degenerating backend node {NodeId}: {Reason}")]
        public static partial void NodeDegenerated(ILogger logger, int nodeId, string reason);
    }
}

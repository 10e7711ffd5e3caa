namespace Pgproxy.TestUtilities.Scripted;

/// <summary>
/// The faults one node injects: rules tried in the order they were added, each answering statements whose text
/// matches (ignoring case) a given number of times. A statement no rule claims gets
/// <see cref="NodeDefaults.Reply"/>, the answer a healthy PostgreSQL would give.
/// </summary>
internal sealed class NodeScript(int nodeId)
{
    private readonly Lock _lock = new();
    private readonly List<Rule> _rules = [];

    public int NodeId { get; } = nodeId;

    /// <summary>
    /// When set, new connections to the node are refused with this SQLSTATE (57P03: the node is shutting down);
    /// connections already open go on following the rules.
    /// </summary>
    public string? RefuseConnectionsWith { get; set; }

    /// <summary>Answers the statement <paramref name="sql"/> (exact text) with <paramref name="reply"/>.</summary>
    public NodeScript On(string sql, NodeReply reply, int times = int.MaxValue) =>
        On(s => string.Equals(s.Sql, sql, StringComparison.OrdinalIgnoreCase), reply, times);

    /// <summary>Answers the statements <paramref name="match"/> accepts with <paramref name="reply"/>.</summary>
    public NodeScript On(Func<NodeStatement, bool> match, NodeReply reply, int times = int.MaxValue)
    {
        lock (_lock)
        {
            _rules.Add(new Rule(match, reply, times));
        }

        return this;
    }

    /// <summary>The scripted reply for a statement, or null for the healthy default.</summary>
    public NodeReply? Respond(NodeStatement statement)
    {
        lock (_lock)
        {
            foreach (var rule in _rules)
            {
                if (rule.Remaining > 0 && rule.Match(statement))
                {
                    rule.Remaining--;
                    return rule.Reply;
                }
            }
        }

        return null;
    }

    private sealed class Rule(Func<NodeStatement, bool> match, NodeReply reply, int times)
    {
        public Func<NodeStatement, bool> Match { get; } = match;

        public NodeReply Reply { get; } = reply;

        public int Remaining { get; set; } = times;
    }
}

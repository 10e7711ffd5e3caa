using Pgproxy.Core.Determinism;
using Pgproxy.Core.Routing;

namespace Pgproxy.Core.Replication;

/// <summary>
/// A statement the client parsed: its Parse message (to parse it lazily on a node that has not seen it), how
/// it routes, and on which nodes it exists.
/// </summary>
internal sealed class PreparedStatementInfo(byte[] parseFrame, StatementClassification classification, StatementKind kind)
{
    public byte[] ParseFrame { get; } = parseFrame;

    public StatementClassification Classification { get; } = classification;

    /// <summary>The kind after volatility checks: a SELECT calling a volatile function is a write.</summary>
    public StatementKind Kind { get; } = kind;

    /// <summary>Bit per node id where this exact statement is parsed.</summary>
    public ulong ParsedOn { get; set; }

    /// <summary>
    /// The statement writes with now()/CURRENT_*, or leaves a time-based default to the nodes: the other nodes
    /// get it re-parsed with main's timestamp as a literal for every execution, so it is never left parsed there.
    /// </summary>
    public bool RewritesTime => Kind != StatementKind.Read
                                && (Classification.TimeFunctions.Count > 0 || Defaults is { NeedsNow: true });

    /// <summary>What the others' text needs for defaults the INSERT leaves out (null: nothing).</summary>
    public DefaultsRewrite? Defaults { get; set; }

    /// <summary>The table-defaults epoch <see cref="Defaults"/> was planned in; -1 before any plan.</summary>
    public int DefaultsEpoch { get; set; } = -1;
}
